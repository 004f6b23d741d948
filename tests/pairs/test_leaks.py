# ruff: noqa: RUF001 - texts in many scripts
"""Context-leak detectors and the make-standalone transform, one test group per leak kind.

These are hand-written unit cases; the labelled set in benchmarks/data/standalone/ is measured by
benchmarks/standalone.py, and its held-out part (heldout.jsonl) is never used for tuning or here.
"""

from __future__ import annotations

import pytest

from app.pairs.leaks import LeakKind, feedback_spans, find_leaks, information_spans, make_standalone

ACK_OPENERS = [
    "You're absolutely right! Use a set.",
    "You are right, use a set.",
    "Good catch. Use a set.",
    "Fair point: use a set.",
    "Agreed, a set is faster.",
    "Correct, a set is faster.",
    "Thanks for pointing that out. Use a set.",
    "Apologies for the confusion. Use a set.",
    "Sorry about that. Use a set.",
    "**Great question!** Use a set.",
    "Du hast recht. Nimm ein Set.",
    "Guter Punkt! Nimm ein Set.",
    "Stimmt. Nimm ein Set.",
    "Vous avez raison. Utilisez un ensemble.",
    "Bien vu, utilisez un ensemble.",
    "Merci pour la remarque. Utilisez un ensemble.",
    "Tienes toda la razón. Usa un conjunto.",
    "Buena observación: usa un conjunto.",
    "Gracias por la corrección. Usa un conjunto.",
]

REFERENCES = [
    "As you said, the index is missing.",
    "The index is missing, as you mentioned.",
    "Your concern about latency is valid.",
    "Both issues come from the same loop.",
    "Those answers ignored caching.",
    "Then use a looser pattern.",
    "In that case, skip Kafka.",
    "Wie du sagtest, fehlt der Index.",
    "Dans ce cas, utilisez NATS.",
    "Como dijiste, falta el índice.",
]

NOT_LEAKS = [
    "Right-align the column so digits line up.",
    "```bash\nif [ -f x ]; then\n  echo ok\nfi\n```\nThen-branches run on success.",
    "Correct handling of a NULL return is to bail out early.",
    "Correctly used, 409 signals a conflict.",
    "Agreed-upon conventions help: prefix booleans with is/has.",
    "Thanks to the borrow checker, use-after-free cannot compile.",
    "Both phases walk memory: mark flags, sweep frees.",
    "Use `then` in a promise chain: `p.then(f)`.",
]


class TestReplyToFeedback:
    @pytest.mark.parametrize("answer", ACK_OPENERS)
    def test_acknowledgement_openers_are_flagged_at_the_start(self, answer: str) -> None:
        spans = feedback_spans(answer)
        assert spans
        assert (spans[0].kind, spans[0].cue) == (LeakKind.reply_to_feedback, "acknowledgement")
        assert spans[0].start <= 2
        assert answer[spans[0].start : spans[0].end] == spans[0].text

    @pytest.mark.parametrize("answer", REFERENCES)
    def test_references_to_the_exchange_are_flagged(self, answer: str) -> None:
        assert [s.kind for s in feedback_spans(answer)] == [LeakKind.reply_to_feedback]

    @pytest.mark.parametrize("answer", NOT_LEAKS)
    def test_hard_negatives_are_not_flagged(self, answer: str) -> None:
        assert find_leaks(answer=answer, followup="That is wrong.", prompt="How?") == []


class TestInformationFromFollowUp:
    def test_version_and_size_from_the_follow_up_are_marked(self) -> None:
        answer = "On PostgreSQL 9.6 with 50 million rows, build the index CONCURRENTLY."
        spans = information_spans(
            answer=answer,
            followup="It's PostgreSQL 9.6 and the table has 50 million rows.",
            prompt="Fix my query.",
        )
        assert {s.text for s in spans} == {"PostgreSQL", "9.6", "50 million"}
        assert all(s.kind == LeakKind.information for s in spans)

    def test_facts_already_in_the_prompt_are_not_leaks(self) -> None:
        answer = "With 200M rows on Python 3.8, use DuckDB."
        assert (
            information_spans(answer=answer, followup="We have 200M rows, Python 3.8.", prompt=answer) == []
        )

    def test_names_only_count_inside_a_sentence(self) -> None:
        followup = "Still slow. We use Datadog."
        assert information_spans(answer="Still, ship logs to Datadog.", followup=followup, prompt="Logging?")
        assert not information_spans(answer="Still, ship logs.", followup=followup, prompt="Logging?")

    def test_german_nouns_are_not_names(self) -> None:
        spans = information_spans(
            answer="Setze die Umgebungsvariablen in der crontab.",
            followup="Du hast die Umgebungsvariablen vergessen.",
            prompt="Wie richte ich einen Cronjob ein?",
        )
        assert spans == []

    def test_facts_inside_code_are_ignored(self) -> None:
        assert not information_spans(answer="`x = 3.8`", followup="Use 3.8 please", prompt="Set x.")


class TestMakeStandalone:
    @pytest.mark.parametrize(
        ("answer", "expected"),
        [
            ("Good catch. Slicing returns a copy.", "Slicing returns a copy."),
            ("Agreed, an HttpOnly cookie is safer.", "An HttpOnly cookie is safer."),
            ("You're right! Let me go deeper. URI versioning is explicit.", "URI versioning is explicit."),
            ("You're right that I missed it. Retry only idempotent calls.", "Retry only idempotent calls."),
            ("Effectivement, j'ai oublié. Passez des paramètres.", "Passez des paramètres."),
            ("Tienes razón.\n\nUsa `structuredClone`.", "Usa `structuredClone`."),
        ],
    )
    def test_leading_acknowledgement_is_removed_and_recapitalized(self, answer: str, expected: str) -> None:
        assert make_standalone(answer=answer, followup="You missed it.", prompt="How?") == expected

    @pytest.mark.parametrize(
        "answer",
        [
            "As you said, OFFSET is slow. Use keyset pagination.",  # a reference is content, not a filler
            "Good point. Both issues come from one loop.",  # what remains still refers to the follow-up
            "Fair point. With 200M rows, use DuckDB.",  # what remains uses the follow-up's facts
            "You're right.",  # nothing remains
            "Use a set.",  # nothing to remove
        ],
    )
    def test_not_applied_when_the_rest_still_depends_on_the_follow_up(self, answer: str) -> None:
        assert make_standalone(answer=answer, followup="It has 200M rows.", prompt="How?") is None


@pytest.mark.parametrize(
    ("prompt", "followup", "answer", "leaked"),
    [
        # Names typed in lower case, written by the answer as names or code.
        ("how can i rate limit my flask api", "redis isnt available in our env",
         "Because Redis isn't available, keep the counters in memory with Flask-Limiter.", "redis"),
        ("help me write a cover letter", "the company is spotify",
         "Dear Spotify Hiring Team, I'm excited to apply.", "spotify"),
        ("how do i make http requests with retries in python", "we use httpx not requests",
         "`httpx` retries failed connections through its transport.", "httpx"),
        # A quantity with its unit, however the answer spaces it.
        ("how do i load a 6gb csv into pandas", "laptop only has 2gb ram",
         "With 2 GB of RAM the file won't fit, so read it in chunks.", "2 gb"),
    ],
)  # fmt: skip
def test_facts_typed_in_lower_case_are_information_leaks(prompt, followup, answer, leaked):
    spans = information_spans(answer=answer, followup=followup, prompt=prompt)
    assert [s.text.lower() for s in spans][:1] == [leaked]


@pytest.mark.parametrize(
    ("prompt", "followup", "answer"),
    [
        # A request for more is not a fact about the user.
        ("github actions workflow to run pytest", "also cache pip", "Cache pip with `actions/setup-python`."),
        ("how does the GIL affect threads?", "You skipped multiprocessing.",
         "CPU-bound work scales with `multiprocessing`, which uses separate interpreters."),
        # A word the prompt already holds, a common word, or one the answer only starts a sentence with.
        ("connect to postgres 15 from python", "it keeps timing out", "Postgres 15 accepts a connect_timeout."),
        ("count rows where status is not done", "null rows arent counted", "NULL is neither equal nor unequal."),
        ("plan a trip", "going in winter", "Winter is cold there, so pack layers."),
    ],
)  # fmt: skip
def test_requests_known_words_and_sentence_starts_are_not_facts(prompt, followup, answer):
    assert information_spans(answer=answer, followup=followup, prompt=prompt) == []


@pytest.mark.parametrize(
    "answer",
    [
        "¡Buena observación! Aquí va la receta completa.",
        "Hai ragione, ecco la versione corretta.",
        "Goed punt. Hier is de nieuwe versie.",
        "Вы правы, вот исправленный вариант.",
        "Haklısınız, işte düzeltilmiş hali.",
        "ご指摘ありがとうございます。修正版です。",
        "你说得对\uff0c修改如下。",
        "This also fixes the issue you raised about timezones.",
        "Unlike the version above, this one quotes every variable.",
        "Voici le mail adouci, comme vous l'avez demandé.",
        "Anders als in meiner ersten Version steht die Mitgliedsnummer jetzt im Betreff.",
        "按照你的要求\uff0c我把价格去掉了。",
    ],
)
def test_acknowledgements_and_references_in_more_languages(answer):
    assert [s.kind for s in feedback_spans(answer)][:1] == [LeakKind.reply_to_feedback]


def test_acknowledgement_words_used_otherwise_are_not_leaks():
    for answer in (
        "Right-align the numbers and keep the text left.",
        "Thanks to the index, the query reads one page.",
        "Correct handling of NULLs needs IS NULL.",
        'Reply to the customer: "Sorry, we are closed on Sundays."',
    ):
        assert find_leaks(answer=answer, followup="that's not it", prompt="help") == []


# leaks-3: from the second independent set's dev two thirds (written in other words here), and "you're right",
# "then", digits and counts in more languages, written from how those languages say them.
@pytest.mark.parametrize(
    "answer",
    [
        "Ah oui, pardon : la boucle partait de 1. Voici la version corrigée.",
        "Понял, тогда начнём с примеров из физики.",
        "Зрозумів. Ось версія для 9 класу.",
        "Bener juga, tidak perlu dibuat ulang setiap hari.",
        "明白了，那就按周末两天来安排。",
        "承知しました。修正版は以下のとおりです。",
        "Converting to runes fixes the garbling you ran into with accented names.",
        "Il sugo è pronto in 20 minuti. Hai ragione sulla panna: qui non serve.",
    ],
)
def test_acknowledgements_continuations_and_late_references_in_more_languages(answer):
    assert LeakKind.reply_to_feedback in {s.kind for s in feedback_spans(answer)}


@pytest.mark.parametrize(
    ("prompt", "followup", "answer", "leaked"),
    [
        # Digits of other scripts read as the same number.
        (
            "اكتب لي خطة عمل لمقهى صغير",
            "الميزانية ١٥٠ ألف درهم",
            "خطة لمقهى صغير بميزانية 150 ألف درهم: الديكور 40 ألفًا والمعدات 60 ألفًا.",
            "150",
        ),
        # A number that Chinese runs into ("只开放8443端口").
        ("怎么用 Python 连 HTTPS 服务？", "服务器只开放8443端口", "连接时指定 8443 端口即可。", "8443"),
        # How many people and days, as each language counts them.
        ("Cách nấu lẩu Thái?", "nấu cho 8 người", "Nguyên liệu cho 8 người: 1 kg tôm, ...", "8 người"),
        (
            "What should I pack for Lisbon?",
            "we're going for 4 days in march",
            "For 4 days, pack ...",
            "4 days",
        ),
        ("札幌で何を見ればいい？", "3泊します", "3泊なら、1日目は大通公園 ...", "3泊"),
    ],
)
def test_numbers_and_counts_in_any_script_are_information_leaks(prompt, followup, answer, leaked):
    spans = information_spans(answer=answer, followup=followup, prompt=prompt)
    assert leaked in [s.text for s in spans]


@pytest.mark.parametrize(
    ("prompt", "followup", "answer"),
    [
        ("Explain slices in Go.", "montre un exemple avec append", "Un slice grandit avec `append`: ..."),
        (
            "Como fazer JOIN no MySQL?",
            "usa um exemplo com pedidos e clientes",
            "Com as tabelas `pedidos` e `clientes`: ...",
        ),
        ("Is Python 3.12 faster?", "how do I check which version I run?", "Run `python --version`: ..."),
    ],
)
def test_requests_in_more_languages_and_questions_state_no_fact(prompt, followup, answer):
    assert information_spans(answer=answer, followup=followup, prompt=prompt) == []


def test_dropping_an_opener_keeps_the_next_paragraphs_emphasis():
    answer = "Got it!\n\n**1. Visa**\nApply a month ahead."
    assert make_standalone(answer=answer, followup="chinese passport", prompt="Japan trip?") == (
        "**1. Visa**\nApply a month ahead."
    )
    # The emphasis that closed the dropped opener goes with it.
    answer = "**Good catch!** The loop starts at 0 now."
    assert (
        make_standalone(answer=answer, followup="off by one", prompt="Fix my loop")
        == "The loop starts at 0 now."
    )


# leaks-4: from the third independent set's dev two thirds, written in other words here.
@pytest.mark.parametrize(
    "answer",
    [
        "Perfecto, entonces vamos solo en tren: primero Ronda, luego Cádiz.",
        "Parfait, voici la version sans gluten.",
        "Verdade, esqueci das taxas. O cálculo fica assim: ...",
        "Entendido: el informe queda en una página.",
        "Quedan tres paradas, todas dentro del presupuesto que me indicaste.",
        "Voici le texte, raccourci comme tu me l'as demandé.",
        "O total já inclui o frete que você mencionou.",
        "Faltou isso na primeira resposta: o IOF também entra.",
        "The rain came sideways off the moor.\n\nThis time I kept the dialogue to two lines.",
        "Here is the toast.\n\nI trimmed the jokes about his ex this time, so it stays warm.",
    ],
)
def test_agreement_openers_and_references_to_the_request_in_more_forms(answer):
    assert LeakKind.reply_to_feedback in {s.kind for s in feedback_spans(answer)}


@pytest.mark.parametrize(
    "answer",
    [
        "Perfect pitch is rare: about one person in ten thousand has it.",
        "This time zone has no daylight saving.",
        "I kept the API the same as in the docs.",
    ],
)
def test_the_same_words_used_otherwise_are_no_feedback(answer):
    assert feedback_spans(answer) == []


@pytest.mark.parametrize(
    ("prompt", "followup", "answer"),
    [
        (
            "How do I read a CSV file?",
            "Add an example with Pandas.",
            "With Pandas: `pd.read_csv('a.csv')` ...",
        ),
        ("Comment installer Node ?", "Et sur macOS ?", "Sur macOS, le plus simple est Homebrew : ..."),
        ("¿Cómo cambio el DNS?", "¿Y en Android?", "En Android: Ajustes > Red > DNS privado."),
    ],
)
def test_a_request_names_what_it_wants_and_states_no_fact(prompt, followup, answer):
    assert information_spans(answer=answer, followup=followup, prompt=prompt) == []


def test_a_request_still_gives_its_numbers():
    spans = information_spans(
        answer="On Python 3.9 use `Optional[int]` instead.",
        followup="Show it for 3.9 please",
        prompt="How do I annotate an optional int?",
    )
    assert "3.9" in [s.text for s in spans]


# leaks-5: from the fourth independent set's dev two thirds, written in other words here.
@pytest.mark.parametrize(
    "answer",
    [
        "Week 1 starts with squats and rows.\n\nFair point about the bench press: it is once a week now.",
        "Use `itertools.islice`. Unlike the generator I suggested earlier, this one never holds the file.",
        "Here's a shorter version:\n\nThe meeting moves to Tuesday.",
        "Bien sûr, voici une version plus courte : la réunion passe à mardi.",
    ],
)
def test_late_references_and_a_shorter_version_reply_to_the_feedback(answer):
    assert LeakKind.reply_to_feedback in {s.kind for s in feedback_spans(answer)}


@pytest.mark.parametrize(
    ("prompt", "followup", "answer", "leaked"),
    [
        (
            "How do I dedupe rows by email?",
            "we're on pg 14",
            "In PostgreSQL, use `DISTINCT ON` ...",
            "postgresql",
        ),
        ("How do I merge two dicts?", "stuck on py37 at work", "On Python 3.7 use `{**a, **b}` ...", "3.7"),
        ("Scale this soup for 2.", "there'll be five of us", "Soup for 5 people: 750 g of squash ...", "5"),
        ("What games for a birthday?", "we are 8", "Games that work for 8: charades, ...", "for 8"),
    ],
)
def test_short_names_runtime_versions_and_head_counts_are_information(prompt, followup, answer, leaked):
    spans = information_spans(answer=answer, followup=followup, prompt=prompt)
    assert any(leaked in s.text.lower() for s in spans), spans


@pytest.mark.parametrize(
    ("prompt", "followup", "answer"),
    [
        # What the follow-up says the situation is not, and a Spanish question, state no fact.
        (
            "Add an index to the invoices table.",
            "the invoices table, not customers",
            "Index `customers_id` ...",
        ),
        ("Receta de arroz con pollo", "¿Con azafrán o sin azafrán?", "Con azafrán queda más aromático ..."),
        ("Review etiquette?", "examples?", 'Praise too: "Good catch on the cache race."'),
    ],
)
def test_negated_names_questions_and_quoted_praise_are_no_leaks(prompt, followup, answer):
    assert find_leaks(answer=answer, followup=followup, prompt=prompt) == []
