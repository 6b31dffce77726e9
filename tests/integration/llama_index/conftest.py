"""The LlamaIndex integration tests share their fixtures with the contract suite."""

from li_fixtures import (  # noqa: F401 (fixtures)
    _event_loop_for_sync_tests,
    connect,
    embed_model,
    emu,
    image_spec,
    llm,
    make_llm,
    rerank,
)
