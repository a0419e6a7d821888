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
    assert "held-out scores of the training data" in model.threshold_source
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
    assert trained.threshold_source.endswith("validation (2 examples)")


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


def test_the_operating_point_moves_with_the_out_of_scope_share_without_retraining(model: IntentModel) -> None:
    closed = model.set_operating_point(oos_share=0.0)
    assert closed.oos_share_source == "configured" and closed.threshold == 0.0
    busy = model.set_operating_point(oos_share=0.8)
    assert busy.threshold > closed.threshold and model.threshold == busy.threshold
    assert busy.expected_oos_recall > closed.expected_oos_recall
    # every prediction follows the point in force: below its threshold is out of scope
    candidates = ["order", "my account", "help with my parcel", "send it back", "log in", "the size"]
    for point in (closed, busy):
        model.set_operating_point(oos_share=point.oos_share)
        for text in candidates:
            prediction = model.predict(text)
            assert prediction.threshold == round(point.threshold, 4)
            if prediction.confidence < point.threshold:
                assert prediction.out_of_scope
    model.set_operating_point()  # back to the default for the other tests


def test_the_default_share_is_a_labelled_samples_when_there_is_one() -> None:
    validation = Examples(
        ["where's my order now", "return a coat", "who won the match", "sing me a song"],
        ["order_status", "return_item", "oos", "oos"],
    )
    trained = IntentModel.train(_examples(), backend="ngram", validation=validation)
    assert trained.operating_point is not None
    assert trained.operating_point.oos_share == 0.5
    assert trained.operating_point.oos_share_source == "labelled sample"


def test_unlabelled_traffic_that_is_mostly_off_topic_is_estimated_so(model: IntentModel) -> None:
    in_scope = ["where is my parcel", "reset my password please", "return these shoes", "track my order"]
    off_topic = [
        "what's the weather tomorrow",
        "who is the president",
        "play some music",
        "recipe for cake",
        "how tall is everest",
        "tell me a story",
        "best football team",
        "translate hello to german",
    ]
    mostly_in = model.estimate_oos_share(in_scope * 4 + off_topic[:2])
    mostly_out = model.estimate_oos_share(in_scope + off_topic * 2)
    assert mostly_out > mostly_in


def test_the_operating_point_survives_saving(model: IntentModel, tmp_path: Path) -> None:
    model.set_operating_point(oos_share=0.6)
    loaded = IntentModel.load(model.save(tmp_path / "m.joblib"))
    assert loaded.threshold == model.threshold and loaded.operating_point == model.operating_point
    assert loaded.set_operating_point(oos_share=0.0).threshold <= loaded.threshold
    model.set_operating_point()


def test_a_model_saved_before_operating_points_keeps_its_threshold(
    model: IntentModel, tmp_path: Path
) -> None:
    import joblib

    path = model.save(tmp_path / "m.joblib")
    payload = joblib.load(path)
    payload.update(format=2, threshold=0.42)
    del payload["held_out"], payload["operating_point"]
    joblib.dump(payload, path)
    older = IntentModel.load(path)
    point = older.set_operating_point(oos_share=0.7)
    assert older.threshold == point.threshold == 0.42 and "retrain" in point.oos_share_source
