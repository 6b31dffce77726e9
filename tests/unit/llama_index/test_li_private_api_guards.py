"""Private LlamaIndex APIs we touch are guarded: the fallback runs and gives the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, DocumentBlock

from llama_index_nebius._convert import _document_mime, to_nebius_message


def _untyped(path: Path) -> DocumentBlock:
    block = DocumentBlock(path=path)
    block.document_mimetype = None  # as if LlamaIndex had not guessed it
    return block


def test_the_mime_type_is_read_with_and_without_the_private_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("line one", encoding="utf-8")
    with_private = _document_mime(_untyped(path))
    block = _untyped(path)
    message = ChatMessage(role="user", blocks=[_untyped(path)])
    message.blocks[0].document_mimetype = None  # type: ignore[union-attr]
    monkeypatch.delattr(DocumentBlock, "_guess_mimetype")  # a LlamaIndex without it
    assert not hasattr(block, "_guess_mimetype")
    assert _document_mime(block) == with_private == "text/plain"
    assert to_nebius_message(message)["content"].endswith("line one")
