"""LlamaIndex integration for the Nebius AI Studio / Token Factory API.

>>> from llama_index.core import Settings
>>> from llama_index_nebius import NebiusEmbedding, NebiusLLM
>>> Settings.llm = NebiusLLM(model="Qwen/Qwen3-235B-A22B-Instruct-2507")  # reads NEBIUS_API_KEY
>>> Settings.embed_model = NebiusEmbedding()

``NebiusImageToolSpec`` gives agents an image-generation tool and ``NebiusRerank`` reranks
retrieved nodes.
"""

from nebius_inference import __version__, require_extra

require_extra("llama_index_nebius", "llama-index", "llama_index.core")

from .cost import NebiusCostHandler
from .embeddings import NebiusEmbedding
from .llms import NebiusLLM, StructuredOutputError
from .postprocessors import NebiusRerank
from .tools import NebiusImageToolSpec

__all__ = [
    "NebiusCostHandler",
    "NebiusEmbedding",
    "NebiusImageToolSpec",
    "NebiusLLM",
    "NebiusRerank",
    "StructuredOutputError",
    "__version__",
]
