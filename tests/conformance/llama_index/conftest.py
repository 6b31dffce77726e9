"""The LlamaIndex contract suite shares its fixtures with the integration tests."""

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
