"""The intent model: small training sets like real deployments, out-of-scope detection, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.bot.errors import TrainingDataError, UnknownComponentError
from tandem.bot.nlu.dataset import Examples
from tandem.bot.nlu.intents import IntentModel, fingerprint

SMALL = {
    "order_status": [
        "where is my order",
        "track my parcel",
        "has my package shipped yet",
        "when will my order arrive",
        "order status please",
        "is my delivery on its way",
        "where's my stuff",
        "tracking number for my order",
        "my parcel hasn't come",
        "what's happening with my order",
        "can you check my order",
        "order not here yet",
    ],
    "return_item": [
        "I want to return a jumper",
        "how do I send something back",
        "return this dress",
        "the shoes don't fit",
        "can I exchange for another size",
        "start a return",
        "I need to return my order",
        "return label please",
        "wrong size, want to send it back",
        "how long do I have to return",
        "return policy",
        "item is too small",
    ],
    "reset_password": [
        "I forgot my password",
        "reset my password",
        "can't log in",
        "password not working",
        "locked out of my account",
        "how do I change my password",
        "login problem",
        "password reset email",
        "I can't sign in",
        "forgotten password",
        "my password is wrong",
        "need a new password",
    ],
}


def _examples() -> Examples:
    examples = Examples()
    for intent, texts in SMALL.items():
        for text in texts:
            examples.add(text, intent)
    return examples


@pytest.fixture(scope="module")
def model() -> IntentModel:
    return IntentModel.train(_examples(), backend="ngram")


def test_trains_from_a_dozen_examples_per_intent_without_out_of_scope_data(model: IntentModel) -> None:
    assert model.threshold_source.startswith("cross-validation")
    assert model.predict("where is my parcel").intent == "order_status"
    assert model.predict("I'd like to send back these jeans").intent == "return_item"
    assert model.predict("i cant log in to my acount").intent == "reset_password"  # typos


@pytest.mark.parametrize(
    "text", ["what's the weather in Paris tomorrow", "tell me a joke", "asdfgh qwerty", "🙂"]
)
def test_off_topic_messages_are_out_of_scope(model: IntentModel, text: str) -> None:
    prediction = model.predict(text)
    assert prediction.out_of_scope and prediction.intent is None


def test_alternatives_are_ranked_and_scored(model: IntentModel) -> None:
    prediction = model.predict("where is my order")
    scores = [a.score for a in prediction.alternatives]
    assert scores == sorted(scores, reverse=True) and prediction.alternatives[0].intent == "order_status"
    assert 0 < prediction.confidence <= 1


def test_validation_data_sets_the_threshold(tmp_path: Path) -> None:
    validation = Examples(["where's my order now", "return a coat"], ["order_status", "return_item"])
    trained = IntentModel.train(_examples(), backend="ngram", validation=validation)
    assert trained.threshold_source.startswith("validation")


def test_saved_model_predicts_the_same_after_loading(model: IntentModel, tmp_path: Path) -> None:
    path = model.save(tmp_path / "m.joblib")
    loaded = IntentModel.load(path)
    assert loaded.predict("reset my password") == model.predict("reset my password")
    assert not (tmp_path / "m.joblib.tmp").exists()


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    import joblib

    joblib.dump({"something": "else"}, tmp_path / "x.joblib")
    with pytest.raises(TrainingDataError, match="not a Tandem intent model"):
        IntentModel.load(tmp_path / "x.joblib")


def test_fingerprint_ignores_order() -> None:
    a = Examples(["a", "b"], ["x", "y"])
    b = Examples(["b", "a"], ["y", "x"])
    assert fingerprint(a) == fingerprint(b) != fingerprint(Examples(["a", "c"], ["x", "y"]))


def test_unknown_backend_lists_the_known_ones() -> None:
    with pytest.raises(UnknownComponentError, match="minilm, ngram"):
        IntentModel.train(_examples(), backend="bert")


def test_empty_and_huge_messages_do_not_crash(model: IntentModel) -> None:
    assert model.predict("").out_of_scope
    assert model.predict("order " * 5000).intent in (None, "order_status")


def test_minilm_backend_embeds_and_classifies() -> None:
    trained = IntentModel.train(_examples(), backend="minilm")
    assert trained.predict("my package still hasn't turned up").intent == "order_status"
    assert trained.predict("what is the capital of Peru").out_of_scope
