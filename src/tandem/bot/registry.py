"""Names → implementations. Configuration picks parts by name; an unknown name fails at start-up with the
list of known ones, and nothing in business code branches on a provider."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from pathlib import Path

from tandem.bot.components.starter import StarterResponder
from tandem.bot.errors import UnknownComponentError
from tandem.bot.escalation import load_policy
from tandem.bot.flows import DemoStoreFlows, OrderActions
from tandem.bot.nlu.encoders import Encoder, MiniLmEncoder, SentenceTransformersEncoder
from tandem.bot.nlu.human_request import shared_classifier
from tandem.bot.nlu.intents import BACKENDS, IntentModel, Progress
from tandem.bot.nlu.language import LinguaDetector
from tandem.bot.nlu.retrieval import HybridRetriever
from tandem.bot.nlu.sentiment import VaderLexiconSentiment
from tandem.bot.pipeline import Tier0Responder, Tier0Settings
from tandem.bot.protocols import Responder
from tandem.bot.training import demo_examples, load_or_train
from tandem.core.errors import ConfigurationError
from tandem.customers.crm import CrmConnector
from tandem.kb.schemas import ArticleOut
from tandem.settings import Settings

RESPONDERS = ("tier0", "llm", "starter")
ENCODERS = ("minilm", "sentence-transformers")


@cache
def shared_encoder() -> MiniLmEncoder:
    """One ONNX session per process: it is thread-safe and costs 90 MB of memory per copy."""
    return MiniLmEncoder()


@cache
def shared_language_detector() -> LinguaDetector:
    return LinguaDetector()


@cache
def shared_sentiment() -> VaderLexiconSentiment:
    return VaderLexiconSentiment()


def build_encoder(settings: Settings) -> Encoder:
    if settings.bot_encoder == "minilm":
        return shared_encoder()
    if settings.bot_encoder == "sentence-transformers":
        if settings.bot_encoder_model is None:
            raise ConfigurationError(
                "TANDEM_BOT_ENCODER=sentence-transformers needs TANDEM_BOT_ENCODER_MODEL, a local model directory."
            )
        return SentenceTransformersEncoder(str(settings.bot_encoder_model))
    raise UnknownComponentError(kind="encoder", name=settings.bot_encoder, known=list(ENCODERS))


def build_intent_model(
    settings: Settings, *, progress: Progress | None = None, model_file: Path | None = None
) -> IntentModel:
    """``model_file``: the learning loop's champion, which wins over the configured model."""
    backend = settings.bot_intent_backend
    if backend not in BACKENDS:
        raise UnknownComponentError(kind="intent backend", name=backend, known=list(BACKENDS))
    encoder: Encoder | None = build_encoder(settings) if backend == "minilm" else None
    chosen = model_file or settings.bot_intent_model
    if chosen is not None:
        model = IntentModel.load(chosen, encoder=encoder)
    else:
        model = load_or_train(
            demo_examples(), backend=backend, cache_dir=settings.model_dir, encoder=encoder, progress=progress
        )
    # The operating point is the deployment's choice, not the training's: applied at every load.
    model.set_operating_point(
        oos_share=settings.bot_oos_share, wrong_answer_cost=settings.bot_wrong_answer_cost
    )
    return model


def build_tier0(
    settings: Settings,
    *,
    crm: CrmConnector,
    actions: OrderActions | None,
    articles: Sequence[ArticleOut],
    today: Callable[[], date],
    model_file: Path | None = None,
) -> Tier0Responder:
    model = build_intent_model(settings, model_file=model_file)
    # The deployment's own intent examples teach the learned request detector what routine questions are.
    routine = demo_examples().texts if settings.bot_intent_model is None else []
    retriever = HybridRetriever(model.encoder)
    retriever.rebuild(articles)
    return Tier0Responder(
        language=shared_language_detector(),
        sentiment=shared_sentiment(),
        intents=model,
        retriever=retriever,
        flows=DemoStoreFlows(crm, actions),
        settings=Tier0Settings(
            answer_bar=settings.bot_answer_bar,
            policy=load_policy(settings.escalation_rules),
        ),
        today=today,
        model_version=f"{model.backend}-{model.fingerprint}",
        human_request=shared_classifier(routine),
    )


def build_responder(
    settings: Settings,
    *,
    crm: CrmConnector,
    actions: OrderActions | None,
    articles: Sequence[ArticleOut],
    today: Callable[[], date],
    model_file: Path | None = None,
) -> Responder:
    name = settings.bot_responder
    if name not in RESPONDERS:
        raise UnknownComponentError(kind="responder", name=name, known=list(RESPONDERS))
    if name == "starter":
        return StarterResponder(crm)
    tier0 = build_tier0(
        settings, crm=crm, actions=actions, articles=articles, today=today, model_file=model_file
    )
    if name == "tier0":
        return tier0
    if not settings.llm_base_url:
        raise ConfigurationError(
            "TANDEM_BOT_RESPONDER=llm needs TANDEM_LLM_BASE_URL, e.g. http://127.0.0.1:11434/v1 for Ollama."
        )
    from tandem.bot.llm import OpenAICompatibleResponder

    return OpenAICompatibleResponder(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_seconds=settings.llm_timeout_seconds,
        fallback=tier0,
    )
