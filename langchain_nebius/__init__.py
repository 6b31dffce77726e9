"""LangChain integration for the Nebius AI Studio / Token Factory API."""

__all__: list[str] = []
