"""Whole replies from a misbehaving server: redirects, bodies shorter or longer than their
``Content-Length``. Every outcome is a ``NebiusError`` or a correct reply, never a reply that
belongs to another request."""

from __future__ import annotations

import re

import pytest
from reliability.fault_server import MODEL, FaultServer

import nebius_inference as ni
from nebius_inference import AsyncNebiusClient, NebiusClient


def _ask(tag: str) -> dict[str, object]:
    return {"model": MODEL, "messages": [{"role": "user", "content": tag}]}


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_an_error_that_names_the_target(fault_env: FaultServer, status: int) -> None:
    before = fault_env.stats().requests
    with NebiusClient() as client:
        target = re.escape("redirects to 'http://127.0.0.1")
        with pytest.raises(ni.APIStatusError, match=target) as caught:
            client.create_chat_completion(
                **_ask("a"), extra_headers={"x-fault": f"redirect={status}"}
            )
        assert caught.value.status_code == status
        with pytest.raises(ni.APIStatusError, match="base_url"):
            with client.stream_chat_completion(
                **_ask("a"), extra_headers={"x-fault": f"redirect={status}"}
            ):
                pass
    assert fault_env.stats().requests == before + 2  # not followed, not retried


async def test_a_redirect_is_an_error_async(fault_env: FaultServer) -> None:
    client = AsyncNebiusClient()
    try:
        with pytest.raises(ni.APIStatusError, match="redirects to"):
            await client.create_chat_completion(**_ask("a"), extra_headers={"x-fault": "redirect"})
    finally:
        await client.aclose()


def test_a_body_shorter_than_its_length_is_a_connection_error(fault_env: FaultServer) -> None:
    with NebiusClient(max_retries=1) as client:
        with pytest.raises(ni.APIConnectionError):
            client.create_chat_completion(**_ask("a"), extra_headers={"x-fault": "short-body"})
        assert client.create_chat_completion(**_ask("next")).choices[0].message.content == "next"


async def test_a_body_shorter_than_its_length_is_a_connection_error_async(
    fault_env: FaultServer,
) -> None:
    client = AsyncNebiusClient(max_retries=1)
    try:
        with pytest.raises(ni.APIConnectionError):
            await client.create_chat_completion(
                **_ask("a"), extra_headers={"x-fault": "short-body"}
            )
        reply = await client.create_chat_completion(**_ask("next"))
        assert reply.choices[0].message.content == "next"
    finally:
        await client.aclose()


def test_bytes_beyond_the_length_never_become_the_next_reply(fault_env: FaultServer) -> None:
    """The extra bytes sit on the kept-alive connection; the next request must not read them
    as its reply (it fails cleanly and is retried on a fresh connection, or gets its own)."""
    with NebiusClient(max_retries=2) as client:
        first = client.create_chat_completion(**_ask("one"), extra_headers={"x-fault": "long-body"})
        assert first.choices[0].message.content == "one"
        for tag in ("two", "three"):
            assert client.create_chat_completion(**_ask(tag)).choices[0].message.content == tag


async def test_bytes_beyond_the_length_never_become_the_next_reply_async(
    fault_env: FaultServer,
) -> None:
    client = AsyncNebiusClient(max_retries=2)
    try:
        fault_env.script("long-body")
        try:
            await client.create_chat_completion(**_ask("one"))
        except ni.APIConnectionError:
            pass  # aiohttp refuses the surplus outright: also fine
        for tag in ("two", "three"):
            reply = await client.create_chat_completion(**_ask(tag))
            assert reply.choices[0].message.content == tag
    finally:
        await client.aclose()
