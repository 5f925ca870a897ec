import pytest
from hypothesis import given, settings, strategies as st

from agent.text import InputError, SentenceBuffer, clean_user_text, reflect, split_sentences


@pytest.mark.parametrize("raw", ["", "   ", "\n\t  \n", b"", b"\xff\xfe", "\x00\x01"])
def test_empty_input_is_a_clear_error(raw):
    with pytest.raises(InputError, match="empty"):
        clean_user_text(raw, 4000)


def test_huge_input_is_truncated_with_a_warning():
    text, warnings = clean_user_text("I feel sad. " * 10_000, 4000)
    assert len(text) <= 4000 and text.startswith("I feel sad.")
    assert any("119,999 characters" in w and "4,000" in w for w in warnings)


def test_invalid_utf8_is_dropped_with_a_warning():
    text, warnings = clean_user_text(b"I am \xff\xfe sad", 4000)
    assert text == "I am sad" and warnings
    text, warnings = clean_user_text("I am \udcff sad", 4000)  # lone surrogate, as argv delivers bad bytes
    assert text == "I am sad" and warnings


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary()))
def test_cleaning_never_fails_except_with_input_error(raw):
    try:
        text, _ = clean_user_text(raw, 500)
    except InputError:
        return
    assert text and text == text.strip() and len(text) <= 500
    text.encode("utf-8")  # always encodable


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["I am sad.", " How are you?", " Fine!", " ok", " Really… ", " Yes. ", "No"]), max_size=8),
       st.integers(min_value=1, max_value=7))
def test_streamed_sentences_equal_whole_text_sentences(pieces, chunk):
    whole = "".join(pieces)
    buffer, out = SentenceBuffer(), []
    for i in range(0, len(whole), chunk):
        out += list(buffer.feed(whole[i:i + chunk]))
    out += list(buffer.flush())
    assert out == split_sentences(whole)


def test_sentence_buffer_releases_a_sentence_before_the_text_ends():
    buffer = SentenceBuffer()
    assert list(buffer.feed("I'm so sorry. That")) == ["I'm so sorry."]
    assert list(buffer.flush()) == ["That"]


@pytest.mark.parametrize("clause,second,third", [
    ("I lost my job today", "you lost your job today", "they lost their job today"),
    ("I was dumped by my girlfriend", "you were dumped by your girlfriend", "they were dumped by their girlfriend"),
    ("I'm scared of my exams", "you're scared of your exams", "they're scared of their exams"),
])
def test_reflect(clause, second, third):
    assert reflect(clause) == second
    assert reflect(clause, "third") == third
