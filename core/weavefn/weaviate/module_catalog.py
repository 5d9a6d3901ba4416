"""The module names each Weaviate release accepts in ENABLE_MODULES (data from Weaviate's source).

Weaviate registers a module only when ENABLE_MODULES names it, and silently ignores any other
name (adapters/handlers/rest/configure_api.go, registerModules): a misspelt module is a
cluster that quietly runs without it. The names below are the ones registerModules checks at
each release tag from v1.25.0 to v1.39.0 (each package's ``Name``/``LegacyName`` constant,
e.g. modules/text2vec-openai/module.go), test-only ``*-dummy`` modules left out.

Each entry lists, per minor line, the first release that accepts the name, up to the first
line that had it from its .0 release; every later line has it too (no module was removed in
that range). ``text2vec-palm``/``generative-palm``/``multi2vec-palm`` and
``text2colbert-jinaai`` are legacy names Weaviate still accepts for the Google and Jina AI
modules.
"""

from __future__ import annotations

from functools import lru_cache

from weavefn.model.units import Version

NEWEST_KNOWN_LINE = (1, 39)
"""The newest line read; for later lines unknown names cannot be told from new modules."""

MODULE_SINCE: dict[str, tuple[str, ...]] = {
    "backup-azure": ("1.25.0",),
    "backup-filesystem": ("1.25.0",),
    "backup-gcs": ("1.25.0",),
    "backup-s3": ("1.25.0",),
    "generative-anthropic": ("1.26.0",),
    "generative-anyscale": ("1.25.0",),
    "generative-aws": ("1.25.0",),
    "generative-cohere": ("1.25.0",),
    "generative-contextualai": ("1.34.0",),
    "generative-databricks": ("1.26.3", "1.27.0"),
    "generative-deepseek": ("1.36.19", "1.37.10", "1.38.2", "1.39.0"),
    "generative-friendliai": ("1.26.3", "1.27.0"),
    "generative-google": ("1.25.21", "1.26.7", "1.27.0"),
    "generative-mistral": ("1.25.0",),
    "generative-nvidia": ("1.28.5", "1.29.0"),
    "generative-octoai": ("1.25.0",),
    "generative-ollama": ("1.25.0",),
    "generative-openai": ("1.25.0",),
    "generative-palm": ("1.25.0",),
    "generative-xai": ("1.30.0",),
    "img2vec-neural": ("1.25.0",),
    "multi2multivec-jinaai": ("1.32.0",),
    "multi2multivec-weaviate": ("1.35.0",),
    "multi2vec-aws": ("1.32.6", "1.33.0"),
    "multi2vec-bind": ("1.25.0",),
    "multi2vec-clip": ("1.25.0",),
    "multi2vec-cohere": ("1.25.25", "1.26.9", "1.27.2", "1.28.0"),
    "multi2vec-google": ("1.25.21", "1.26.7", "1.27.0"),
    "multi2vec-jinaai": ("1.25.26", "1.26.11", "1.27.5", "1.28.0"),
    "multi2vec-nvidia": ("1.28.5", "1.29.0"),
    "multi2vec-palm": ("1.25.0",),
    "multi2vec-twelvelabs": ("1.38.9", "1.39.0"),
    "multi2vec-voyageai": ("1.25.28", "1.26.12", "1.27.8", "1.28.0"),
    "ner-transformers": ("1.25.0",),
    "offload-s3": ("1.26.0",),
    "qna-openai": ("1.25.0",),
    "qna-transformers": ("1.25.0",),
    "ref2vec-centroid": ("1.25.0",),
    "reranker-cohere": ("1.25.0",),
    "reranker-contextualai": ("1.34.0",),
    "reranker-jinaai": ("1.26.1", "1.27.0"),
    "reranker-nvidia": ("1.28.5", "1.29.0"),
    "reranker-transformers": ("1.25.0",),
    "reranker-voyageai": ("1.25.0",),
    "sum-transformers": ("1.25.0",),
    "text-spellcheck": ("1.25.0",),
    "text2colbert-jinaai": ("1.29.0",),
    "text2multivec-jinaai": ("1.29.9", "1.30.11", "1.31.5", "1.32.0"),
    "text2vec-aws": ("1.25.0",),
    "text2vec-bigram": ("1.26.0",),
    "text2vec-cohere": ("1.25.0",),
    "text2vec-contextionary": ("1.25.0",),
    "text2vec-databricks": ("1.26.3", "1.27.0"),
    "text2vec-digitalocean": ("1.35.21", "1.36.15", "1.37.5", "1.38.0"),
    "text2vec-google": ("1.25.21", "1.26.7", "1.27.0"),
    "text2vec-gpt4all": ("1.25.0",),
    "text2vec-huggingface": ("1.25.0",),
    "text2vec-jinaai": ("1.25.0",),
    "text2vec-mistral": ("1.25.13", "1.26.2", "1.27.0"),
    "text2vec-model2vec": ("1.31.0",),
    "text2vec-morph": ("1.32.6", "1.33.0"),
    "text2vec-nvidia": ("1.28.5", "1.29.0"),
    "text2vec-octoai": ("1.25.0",),
    "text2vec-ollama": ("1.25.0",),
    "text2vec-openai": ("1.25.0",),
    "text2vec-palm": ("1.25.0",),
    "text2vec-transformers": ("1.25.0",),
    "text2vec-voyageai": ("1.25.0",),
    "text2vec-weaviate": ("1.27.0",),
    "usage-gcs": ("1.32.0",),
    "usage-s3": ("1.32.0",),
}

_HINTS = {
    "text2vec-azure-openai": "Azure OpenAI is served by text2vec-openai",
    "generative-azure-openai": "Azure OpenAI is served by generative-openai",
}
_AZURE_HINT = (
    " (set resourceName and deploymentId in the collection's moduleConfig, the key as "
    "config.azureApiKey)"
)


def _accepts(name: str, version: Version) -> bool:
    firsts = [Version.parse(text) for text in MODULE_SINCE.get(name, ())]
    if not firsts:
        return False
    same_line = [first for first in firsts if first.minor_line == version.minor_line]
    if same_line:
        return version >= same_line[0]
    return version.minor_line > firsts[-1].minor_line


@lru_cache(maxsize=256)  # a fleet runs a handful of versions; every spec parse asks
def modules_of(version: str) -> frozenset[str] | None:
    """Every module name ``version`` accepts, or None when weavefn cannot know (a newer line)."""
    parsed = Version.parse(version)
    if parsed.minor_line > NEWEST_KNOWN_LINE:
        return None
    return frozenset(name for name in MODULE_SINCE if _accepts(name, parsed))


def module_problem(name: str, version: str) -> str | None:
    """Why ``name`` is no module of Weaviate ``version`` (known names listed), or None."""
    known = modules_of(version)
    if known is None or name in known:
        return None
    if name in MODULE_SINCE:
        first = next(v for v in MODULE_SINCE[name] if Version.parse(v) > Version.parse(version))
        return f"{name} needs Weaviate {first} or later (spec.version is {version})"
    hint = _HINTS.get(name)
    if hint is not None:
        hint += _AZURE_HINT
    else:
        import difflib  # only on the error path: a valid spec never pays for it

        close = difflib.get_close_matches(name, sorted(known), n=2)
        hint = f"did you mean {' or '.join(close)}?" if close else ""
    family = name.partition("-")[0]
    listed = sorted(m for m in known if m.partition("-")[0] == family) or sorted(known)
    kind = f"{family} modules" if listed[0].partition("-")[0] == family else "modules"
    return (
        f"{name!r} is not a module of Weaviate {version}"
        + (f"; {hint}" if hint else "")
        + f"; known {kind}: {', '.join(listed)}"
    )
