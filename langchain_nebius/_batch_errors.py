"""The batch errors of the LangChain adapter: the core's batch errors, each also a LangChain
``ModelError``. :mod:`langchain_nebius.batch` exports them.
"""

from __future__ import annotations

from langchain_core.exceptions import ModelError

from nebius_inference.batch import BatchInputsFailedError, BatchItemError

__all__ = ["NebiusBatchError", "NebiusBatchItemError"]


class NebiusBatchItemError(BatchItemError, ModelError):
    """One input of a batch job has no result (it was invalid, the API rejected its line, its
    batch failed, expired or was cancelled, its output line was missing or unreadable...); a
    LangChain ``ModelError``.

    Attributes: ``reason``, ``index``, ``custom_id``, ``status_code``, ``batch_id``, as
    :class:`nebius_inference.batch.BatchItemError` documents them.
    """


class NebiusBatchError(BatchInputsFailedError, ModelError):
    """Some inputs of a batch job failed; raised once the whole job has finished; a LangChain
    ``ModelError``.

    Attributes: ``outputs`` (one entry per input, in order: its result or its
    :class:`NebiusBatchItemError`), ``errors`` (the distinct errors, in input order) and
    ``results`` (the core's ``BatchResults``), as
    :class:`nebius_inference.batch.BatchInputsFailedError` documents them.
    """
