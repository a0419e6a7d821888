"""Parts are chosen by name; a wrong name or a missing setting fails at start-up with a clear message."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tandem.bot.errors import UnknownComponentError
from tandem.bot.llm import OpenAICompatibleResponder
from tandem.bot.registry import build_intent_model, build_responder
from tandem.bot.training import forget_loaded_models
from tandem.core.errors import ConfigurationError
from tandem.settings import Settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    merged: dict[str, object] = {"data_dir": tmp_path, "bot_intent_backend": "ngram", **values}
    return Settings(**merged)  # type: ignore[arg-type]


def test_unknown_responder_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownComponentError, match="Known: llm, starter, tier0"):
        build_responder(
            _settings(tmp_path, bot_responder="gpt"), crm=None, actions=None, articles=[], today=None
        )  # type: ignore[arg-type]


def test_unknown_intent_backend_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownComponentError, match="Known: minilm, ngram"):
        build_intent_model(_settings(tmp_path, bot_intent_backend="bert"))


def test_llm_without_an_endpoint_says_which_setting_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="TANDEM_LLM_BASE_URL"):
        build_responder(
            _settings(tmp_path, bot_responder="llm"), crm=None, actions=None, articles=[], today=None
        )  # type: ignore[arg-type]


async def test_llm_responder_wraps_tier0(tmp_path: Path) -> None:
    responder = build_responder(
        _settings(tmp_path, bot_responder="llm", llm_base_url="http://127.0.0.1:11434/v1"),
        crm=None,  # type: ignore[arg-type]
        actions=None,
        articles=[],
        today=None,  # type: ignore[arg-type]
    )
    assert isinstance(responder, OpenAICompatibleResponder) and responder.url.endswith("/v1/chat/completions")
    await responder.aclose()


def test_the_demo_model_is_cached_on_disk(tmp_path: Path) -> None:
    forget_loaded_models()
    build_intent_model(_settings(tmp_path))
    assert list((tmp_path / "models").glob("intents-ngram-*.joblib"))


def test_a_heavier_encoder_not_installed_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if the extra were not installed
    settings = _settings(
        tmp_path, bot_intent_backend="minilm", bot_encoder="sentence-transformers", bot_encoder_model=tmp_path
    )
    with pytest.raises(ConfigurationError, match=r"pip install 'tandem-cx\[encoders-torch\]'"):
        build_intent_model(settings)


def test_unknown_encoder_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownComponentError, match="Known: minilm, sentence-transformers"):
        build_intent_model(_settings(tmp_path, bot_intent_backend="minilm", bot_encoder="word2vec"))


def test_a_directory_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    settings = _settings(
        tmp_path, bot_intent_backend="minilm", bot_encoder="sentence-transformers", bot_encoder_model=tmp_path
    )
    with pytest.raises(ConfigurationError, match="Cannot load a sentence-transformers model"):
        build_intent_model(settings)
