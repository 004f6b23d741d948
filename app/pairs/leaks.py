# ruff: noqa: RUF001, RUF003 - acknowledgements, digits and punctuation of many scripts
"""Context leaks in a revised answer: does it still answer the prompt on its own, once the follow-up is gone?

Two kinds. *reply_to_feedback*: the answer addresses the follow-up (an acknowledgement opener such as
"You're right", or a reference such as "as you said", "both issues", a leading "Then"). *information*: the
answer relies on facts (versions, numbers, names) that only the follow-up gave. Pure functions, no I/O; the
transform that removes a leading acknowledgement lives here too, so detection and export agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.pairs.cues import spread

LEAK_DETECTOR_VERSION = "leaks-5"


class LeakKind(StrEnum):
    reply_to_feedback = "reply_to_feedback"
    information = "information"


@dataclass(frozen=True, slots=True)
class LeakSpan:
    """A character range of the answer [start, end) and why it leaks."""

    kind: LeakKind
    start: int
    end: int
    text: str
    cue: str

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "cue": self.cue,
        }


# fmt: off
# Acknowledgement openers, English then German, French, Spanish. Each must be followed by punctuation or
# the end of the text unless it names the act itself ("Thanks for ..."), so "Correct handling of X" and
# "Agreed-upon conventions" are not acknowledgements.
_ACK_NEEDS_STOP = (
    r"(?:you(?:'re| are)|that's|that is|you were) (?:absolutely |totally |quite |completely |entirely )?(?:right|correct)",
    r"(?:good|great|fair|excellent|valid|nice) (?:catch|point|question|call|observation|spot)",
    r"fair enough", r"agreed", r"correct", r"exactly", r"indeed", r"true", r"my (?:mistake|bad|apologies)",
    r"apologies", r"sorry", r"thanks", r"thank you", r"noted", r"understood", r"got it", r"ah",
    r"(?:du hast|sie haben|da hast du|da haben sie) (?:völlig |vollkommen |absolut )?recht",
    r"(?:guter|berechtigter) (?:punkt|einwand|hinweis)", r"gute frage", r"gut (?:erkannt|beobachtet|aufgepasst)",
    r"stimmt", r"richtig", r"korrekt", r"genau", r"einverstanden", r"mein fehler", r"entschuldigung", r"danke",
    r"(?:vous avez|tu as) (?:tout à fait |entièrement |parfaitement )?raison", r"(?:bonne|juste) (?:remarque|question|observation)",
    r"bon point", r"bien vu", r"effectivement", r"en effet", r"exact", r"c'est vrai", r"d'accord", r"pardon",
    r"désolée?", r"mon erreur", r"merci",
    r"(?:tienes|tiene|tiene usted) (?:toda la )?razón", r"(?:buena|excelente) (?:observación|pregunta)",
    r"buen (?:punto|apunte)", r"bien visto", r"correcto", r"cierto", r"efectivamente", r"de acuerdo", r"exacto",
    r"mi error", r"disculpa(?:s)?", r"perdón", r"lo siento", r"gracias",
    r"hai (?:perfettamente )?ragione", r"(?:ottima|giusta|buona) osservazione", r"scusa(?:mi)?", r"grazie",
    r"(?:você tem|tem) (?:toda a )?razão", r"(?:boa|ótima) observação", r"bem observado", r"desculpe?",
    r"obrigad[oa]", r"(?:je hebt|u hebt) (?:helemaal )?gelijk", r"goed (?:gezien|punt)", r"(?:goede|terechte) opmerking",
    r"sorry", r"masz (?:całkowitą )?rację", r"(?:słuszna|dobra|trafna) uwaga", r"przepraszam", r"dziękuję",
    r"вы (?:совершенно )?правы", r"ты (?:совершенно )?прав[а]?", r"(?:хорошее|верное|справедливое) замечание",
    r"извините", r"спасибо", r"haklısın(?:ız)?", r"(?:iyi|güzel) (?:yakaladınız|yakaladın|tespit)", r"özür dilerim",
    r"teşekkürler",
    # "Ah oui, pardon", "Понял, тогда ...", "Bener juga, ...", and "you're right", "sorry", "got it" in more
    # languages (Ukrainian, Indonesian and Malay, Vietnamese, Hindi, Arabic, Hebrew, Greek, Czech, Swedish).
    r"ah,? (?:oui|ok|okay|d'accord|si|sí|ja|yes|right|true|i see)", r"(?:oh|ah),? (?:right|i see|got it)",
    r"понял[аи]?", r"понятно", r"ясно", r"зрозумів", r"зрозуміла", r"зрозуміло", r"(?:ви|ти) праві?",
    r"вибачте", r"перепрошую", r"(?:benar|bener|betul) (?:juga|sekali)", r"(?:anda|kamu) (?:benar|betul)", r"maaf",
    r"baik,? kalau begitu", r"bạn nói đúng", r"xin lỗi", r"hiểu rồi", r"à,? (?:vâng|đúng rồi)", r"आप सही हैं",
    r"सही कहा", r"माफ़ कीजिए", r"माफ कीजिए", r"(?:aap|tum) sahi (?:ho|hain|hai)", r"sahi kaha", r"معك حق",
    r"أنت محق", r"عذرًا", r"عذرا", r"آسف", r"צודק", r"צודקת", r"סליחה", r"έχετε δίκιο", r"έχεις δίκιο", r"συγγνώμη",
    r"máte pravdu", r"máš pravdu", r"omlouvám se", r"du har rätt", r"förlåt",
    # "Perfecto, entonces ...", "Verdade, faltou essa parte.", "Entendido:": agreement words that open a reply.
    r"perfect", r"perfecto", r"parfait", r"perfekt", r"perfeito", r"perfetto", r"entendido", r"entendi",
    r"entendu", r"verstanden", r"capito", r"verdade", r"é verdade", r"vero", r"è vero", r"klopt", r"inderdaad",
)
# Acknowledgements in Chinese, Japanese and Korean, which run on without a space: matched at the start of the
# answer whatever follows them.
_ACK_CJK = (
    r"你说得对", r"您说得对", r"说得对", r"抱歉", r"对不起", r"谢谢(?:你的|您的)?指(?:出|正)", r"好眼力",
    r"ご指摘", r"おっしゃる(?:とおり|通り)", r"確かに", r"申し訳", r"失礼しました", r"すみません",
    r"맞습니다", r"맞아요", r"죄송", r"지적(?:해 주셔서)? 감사",
    # "明白了，那就按 ... 来准备" ("understood, then ..."), "承知しました", "알겠습니다".
    r"明白了?[，,。！!]", r"了解了?[，,。！!]", r"知道了[，,。！!]", r"好的[，,]\s*那", r"承知(?:しました|いたしました)",
    r"かしこまりました", r"なるほど", r"알겠습니다", r"이해했습니다",
)
_ACK_SELF_STANDING = (
    r"(?:you(?:'re| are)|that's|you were) (?:absolutely |totally |quite |completely )?(?:right|correct) (?:that|about|to)\b",
    r"thanks? (?:you )?for\b", r"i apologi[sz]e\b", r"(?:my )?apologies for\b", r"sorry (?:for|about)\b",
    r"danke (?:für|dir|ihnen)\b", r"merci (?:pour|de|d')", r"toutes mes excuses\b", r"je m'excuse\b",
    r"gracias por\b", r"(?:du hast|sie haben) recht,? (?:dass|mit)\b", r"(?:tienes|tiene) razón (?:en|con)\b",
    r"(?:vous avez|tu as) raison (?:de|sur|pour)\b",
)
# References to the exchange itself, anywhere in the prose.
_REFERENCES = (
    r"as you (?:said|mentioned|noted|pointed out|suggested|asked)\b", r"like you said\b",
    r"you (?:mentioned|pointed out|noted)\b", r"your (?:concern|point|objection|feedback|correction|suggestion)s?\b",
    r"both (?:issues|problems|points|bugs|concerns|suggestions|mistakes)\b",
    r"(?:those|these) (?:answers|issues|points|concerns|problems|mistakes)\b",
    r"i (?:forgot|missed|overlooked|left out|should have)\b", r"my (?:earlier|previous|last|first) (?:answer|reply|response|suggestion)\b",
    r"wie (?:du|sie) (?:sagtest|sagten|erwähnt|erwähntest|geschrieben)\w*\b", r"(?:dein|ihr) einwand\b",
    r"ich habe (?:\w+ ){0,3}(?:vergessen|übersehen)\b",
    r"comme (?:vous l'avez|tu l'as) (?:dit|mentionné|souligné)\b", r"j'ai (?:oublié|omis|négligé)\b", r"votre remarque\b",
    r"como (?:dijiste|mencionaste|señalaste|usted dijo)\b", r"(?:olvidé|omití)\b", r"tu observación\b",
    # The exchange named anywhere: "the issue you raised", "unlike the version above", "as requested".
    r"(?:the )?(?:issue|problem|point|concern|bug|case)s? you (?:raised|mentioned|flagged|brought up|pointed out)\b",
    r"unlike (?:the|my) (?:\w+ )?(?:version|answer|draft|code|script|one|reply|suggestion) above\b",
    r"unlike (?:my|the) (?:first|previous|earlier|original|last) (?:\w+ )?(?:version|answer|reply|draft|attempt|suggestion)\b",
    r"(?:the|my) (?:version|answer|draft|script|code|snippet|reply) above\b", r"as (?:you )?requested\b",
    r"comme (?:vous l'avez|tu l'as) demandé\b", r"comme demandé\b", r"ma (?:première|précédente) (?:version|réponse)\b",
    r"wie (?:gewünscht|gewollt)\b", r"(?:anders als|im gegensatz zu) (?:in )?meiner (?:ersten|vorherigen|letzten) (?:version|antwort|fassung)\b",
    r"meine (?:erste|vorherige|letzte) (?:version|antwort|fassung)\b",
    r"como (?:me )?(?:pediste|pidió|solicitaste)\b", r"mi (?:primera|anterior) (?:versión|respuesta)\b",
    r"come (?:mi )?hai (?:chiesto|detto|fatto notare)\b", r"come richiesto\b",
    r"como (?:você )?(?:pediu|disse|mencionou|apontou)\b", r"conforme (?:solicitado|pedido)\b",
    r"zoals (?:je|u) (?:vroeg|zei|aangaf)\b", r"zoals gevraagd\b",
    r"jak (?:prosiłeś|prosiłaś|pisałeś|pisałaś|wspomniałeś|wspomniałaś|zauważyłeś|zauważyłaś)\b",
    # "which fixes the garbling you ran into", "Hai ragione sulla panna" late in the answer.
    r"the (?:\w+ ){1,2}you (?:ran into|ran across|were seeing|are seeing|reported|described|noticed)\b",
    r"you(?:'re| are| were) (?:right|correct) about\b", r"hai (?:perfettamente )?ragione (?:su|sul|sulla|sui|sulle)\b",
    r"(?:tienes|tiene) (?:toda la )?razón (?:sobre|con)\b", r"(?:vous avez|tu as) raison (?:sur|pour)\b",
    r"(?:du hast|sie haben) recht mit\b", r"(?:você tem|tem) (?:toda a )?razão (?:sobre|quanto)\b",
    r"как (?:вы|ты) (?:просили|просил|просила|сказали|заметили|заметил|заметила)\b",
    # leaks-4: "dentro del límite que me marcaste", "comme tu me l'as demandé", "faltou essa parte", and a
    # revision that says what it changed "this time" ("I cut most of the adjectives this time").
    r"(?:que|como) (?:me )?(?:marcaste|indicaste|pediste|dijiste|mencionaste|comentaste|señalaste)\b",
    r"comme (?:tu me l'as|vous me l'avez) (?:demandé|dit|indiqué)\b",
    r"que (?:tu m'as|vous m'avez) (?:donnée?s?|indiquée?s?|demandée?s?)\b",
    r"que (?:você )?(?:me )?(?:pediu|disse|mencionou|indicou|apontou)\b", r"faltou (?:essa|esta|isso|aquela)\b",
    r"me faltó\b",
)
# A revision that says what it changed "this time" ("I cut most of the adjectives this time", "Diesmal habe ich
# ..."): looked for only where the answer holds one of _THIS_TIME's words (a plain substring test).
_THIS_TIME = ("this time", "diesmal", "dieses mal", "cette fois", "esta vez", "questa volta", "desta vez")
_REVISION_NOTE = re.compile(
    r"(?<![\w'])(?:(?:" + "|".join(_THIS_TIME) + r"),? (?:i|ich|j'ai|je|he|ho|eu)\b"
    r"|i(?:'ve| have)? (?:cut|trimmed|removed|dropped|shortened|simplified|toned down|tightened|rewrote|rewritten"
    r"|kept|made)\b[^.!?\n]{0,60}\bthis time\b)"
)
# An earlier answer named in the middle ("Unlike the snippet I gave earlier, ..."): looked for only where the
# answer says what "I" gave.
_EARLIER = ("earlier", "before", "first", "previously", "last time")
_EARLIER_ANSWER = re.compile(
    r"(?<![\w'])(?:the|my) (?:\w+ )?(?:snippet|code|version|answer|example|script|query|suggestion|approach|draft"
    r"|plan|one|generator|function|loop|regex|command|fix|solution|formula|list|table|outline)"
    r" i (?:gave|wrote|suggested|showed|posted|proposed)(?: you)? (?:" + "|".join(_EARLIER) + r")\b"
)
# "Good point about the deadlifts" anywhere, late in the answer too.
_POINT_ABOUT = re.compile(r"(?<![\w'])(?:good|fair|great|valid) (?:point|call|question) (?:about|regarding|re)\b")
# Each with the words one of which every match holds, and how far a match may reach before and after that word: the
# pattern is tried only around the places the answer holds one (an answer's code is blanked to spaces in its prose,
# and a regex, or a substring test for words with spaces in them, crawls through long runs of spaces: tried on the
# whole prose of W1's answers these three cost 70 µs an answer).
_GATED_REFERENCES = (
    (("time", "diesmal", "mal", "fois", "vez", "volta"), _REVISION_NOTE, 120, 40),
    (("gave", "wrote", "suggested", "showed", "posted", "proposed"), _EARLIER_ANSWER, 40, 40),
    (("point", "call", "question"), _POINT_ABOUT, 12, 40),
)
# All their words in one pattern: one pass over the prose finds where to try which.
_GATE = re.compile("|".join(word for words, *_ in _GATED_REFERENCES for word in words))
_GATED_BY_WORD = {word: gated[1:] for gated in _GATED_REFERENCES for word in gated[0]}
# The same in Chinese, Japanese and Korean (no spaces between words) and in Turkish, found anywhere in the answer
# (no word-start check).
_REFERENCES_ANYWHERE = (
    r"按照你的要求", r"按照您的要求", r"如你所说", r"正如你所说", r"如您所说", r"你提到的", r"您提到的",
    r"ご要望(?:の|どおり|通り)", r"ご指摘(?:の|いただいた)", r"先ほどの(?:回答|答え)", r"말씀하신 대로", r"요청하신 대로",
    r"istediğin(?:iz)? gibi", r"belirttiğin(?:iz)? gibi",
)
# Filler sentences that announce a revision: dropped by the transform like an acknowledgement.
_FILLERS = (
    r"let me (?:go deeper|elaborate|expand|try again|redo|fix|correct|revise|reconsider|clarify)\b",
    r"here(?:'s| is) (?:a |the )?(?:corrected|revised|updated|fixed|better|improved)\b",
    # "Bien sûr, voici une version plus concise :", "here's a shorter version": a version measured against the last.
    r"here(?:'s| is) (?:a |the )?(?:shorter|more concise|simpler|tighter|trimmed|condensed|longer|more detailed)\b",
    r"voici (?:une |la )?version plus (?:courte|concise|simple|détaillée|longue)\b",
    r"aquí (?:tienes|está) (?:una |la )?versión más (?:corta|breve|concisa|sencilla|detallada)\b",
    r"hier (?:ist|kommt) (?:eine |die )?(?:kürzere|knappere|einfachere|ausführlichere) (?:version|fassung)\b",
    r"lass mich\b", r"laissez-moi\b", r"déjame\b", r"permíteme\b",
)
# Openers that continue the exchange; only at the very start of the answer.
_CONTINUATIONS = (
    r"then[ ,]", r"in (?:that|this) case\b", r"so then\b", r"given that\b", r"since you\b", r"with that\b",
    r"dann[ ,]", r"in dem fall\b", r"in diesem fall\b", r"alors[ ,]", r"dans ce cas\b",
    r"entonces[ ,]", r"en ese caso\b", r"en tal caso\b",
    # "Понял, тогда объясню ...": "then" in more languages.
    r"então[ ,]", r"allora[ ,]", r"in quel caso\b", r"w takim razie\b", r"тогда\b", r"в таком случае\b", r"тоді\b",
    r"в такому разі\b", r"o zaman\b", r"kalau begitu\b", r"vậy thì\b", r"那就", r"那么", r"それなら", r"그렇다면",
)
# fmt: on

_LEAD = r"^[\s>*_#\-¡¿]*"  # Markdown emphasis, quotes, headings and Spanish opening marks may wrap the opener
_STOP = r"(?=\s*(?:[.!,;:\u2014\u2013\u3002\uff01\uff0c\u3001]|-\s|$))"
_ACK = re.compile(
    _LEAD
    + r"(?P<ack>(?:"
    + "|".join(_ACK_SELF_STANDING)
    + r")|(?:(?:"
    + "|".join(_ACK_NEEDS_STOP)
    + r")"
    + _STOP
    + r")|(?:"
    + "|".join(_ACK_CJK)
    + "))"
)
_CONT = re.compile(_LEAD + r"(?P<cont>(?:" + "|".join(_CONTINUATIONS) + "))")
# A fence runs to the next ``` or the end of the text (what ```.*?(?:```|\Z) matches with DOTALL, without
# trying both endings at every character).
_FENCED = re.compile(r"```(?:[^`]++|`(?!``))*+(?:```|\Z)")
_CODE = re.compile(_FENCED.pattern + r"|`[^`\n]*`")


def _anywhere(patterns: tuple[str, ...]) -> re.Pattern[str]:
    r"""One regex for patterns that may match anywhere a word starts (not after a letter, digit, _ or ').

    Written as `(?<![\w'])(?:p1|p2|...)`, Python's engine would try every alternative at every position of
    a long answer. Here every alternative starts with its first letter and checks what precedes it after
    that letter, `a(?<![\w'].)...`: the engine then skips positions whose character starts no pattern,
    and the matches are the same (alternatives keep their order; a leading group of words is spread,
    `(?:those|these) x` -> `those x|these x`).
    """
    alternatives: list[str] = []
    for written in patterns:
        for pattern in spread(written):
            if not pattern[:1].isalpha() or pattern[1:2] in ("?", "*", "+", "{"):
                raise ValueError(f"leak pattern {pattern!r} must start with a letter")
            alternatives.append(f"{pattern[0]}(?<![\\w'].){pattern[1:]}")
    return re.compile("|".join(alternatives))


_REF = _anywhere(_REFERENCES)
_FILL = _anywhere(_FILLERS)
# Where either could match: one pass over the answer finds the places to try both.
_REF_OR_FILL = _anywhere(_REFERENCES + _FILLERS)
_REF_ANYWHERE = re.compile("|".join(_REFERENCES_ANYWHERE))
_SENTENCE_END = re.compile(r"[.!?…](?=[\s*_]|$)|[。！？]|\n\s*\n")
_CLAUSE_END = re.compile(r"\s*(?:[,;:\u2014\u2013]|-\s)\s*")

# Facts: numbers with two or more characters (versions, sizes, counts), identifiers with inner capitals or
# digits, all-caps acronyms, and capitalized words inside a sentence (names).
# A fact starts where no letter of a cased script (Latin, Greek, Cyrillic), digit, _ or "." comes before it:
# Chinese, Japanese, Thai or Arabic run on into a number or a name ("公司网络只放行465端口", "用redis").
_CASED = r"0-9A-Za-z_\u00c0-\u024f\u0370-\u03ff\u0400-\u052f"
_FACT = re.compile(
    rf"(?<![{_CASED}.])(?:\d[\d,.]*\d(?:\s?(?:[kKmMbB]|GB|MB|TB|million|billion)\b)?|\d[kKmMbB]\b"
    r"|[A-Za-z][\w+#.-]*\d[\w.-]*|[A-Z][a-z]*[A-Z][\w.]*|[A-Z]{2,}[\w]*|[A-Z][a-z]{2,}[\w-]*)"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n)\s*[\"'(¿¡]*$")
# German capitalizes every noun: in a German follow-up a capitalized word is not evidence of a name.
_GERMAN_HINTS = re.compile(r"\b(?:der|die|das|und|nicht|ist|ein|eine|du|wir|hast|haben|fehlt|mit)\b")
_COMMON_CAPS = frozenset({"I", "OK", "IT", "THE", "AND", "NOT", "NO", "BUT", "YES"})
# Typed starting in lower case ("httpx", "spotify", "iOS"): capitalized and all-capital words are _FACT's.
_LOWER_WORD = re.compile(rf"(?<![{_CASED}.])[a-z][A-Za-z0-9_+#-]{{2,}}(?![{_CASED}])")
# A follow-up that asks for more rather than states the user's situation.
_REQUEST = re.compile(
    r"^\W*(?:also|and|use|add|include|try|what about|how about|please|can you|could you|mention|show|give"
    # A question asks for more too ("how do I report a higher income?").
    r"|how (?:do|can|should|would) (?:i|we)|hoe (?:geef|kan|moet|doe)|comment (?:je|on)|cómo|como (?:eu|faço)|wie (?:kann|mache)"
    # The same requests in French, Spanish, Portuguese, Italian, German and Dutch ("montre un exemple avec
    # append", "usa um exemplo com pedidos").
    r"|montre|montrez|donne|ajoute|utilise|peux-tu|pourrais-tu|muestra|muéstrame|usa|agrega|añade|puedes|mostra|mostre"
    r"|adiciona|pode|mostrami|aggiungi|puoi|zeig|nimm|verwende|füge|kannst du|laat|gebruik|voeg|dime|dis-moi|me diz"
    # "Et sous Windows ?", "¿Y en Linux?", "E no Mac?", "Und unter macOS?": "and ...?" asks for more.
    r"|et (?:sous|pour|avec|si|sur)|y (?:en|para|con|si|sobre)|e (?:no|na|para|com|se|su|per|con)|und (?:unter|für|mit|wenn|auf)"
    r"|en (?:op|voor|met))\b"
    r"|\byou (?:skipped|forgot|missed|left out|didn't|did not|never|should)\b"
)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
# Words too common to be a name the follow-up gave, whatever the answer's casing.
_COMMON_WORDS = """the and for not but you your our this that these those with without from into about have has had was were
    are is its it's use using used need needs want wants only just also very too more less than then them they
    there here what when where which who why how can cant can't could would should will wont won't does doesnt
    doesn't did didnt didn't dont don't isnt isn't arent aren't wasnt wasn't all any some one two three new old
    same other work works working wrong right please thanks thank sorry like make made get got take put set see
    says said tell told give gave ask asked now yes yeah nope okay still again even never ever really actually
    available instead version answer code file files thing things way ways time times day days week weeks year
    years null none true false nan"""
_STOPWORDS = frozenset(_COMMON_WORDS.split())
# A quantity and its unit, as a follow-up states a constraint ("2gb ram", "8 cores", "500ms", "200 users").
_UNIT_FACT = re.compile(
    rf"(?<![{_CASED}.,])(\d+(?:[.,]\d+)?)\s?(gb|mb|tb|kb|gib|mib|ghz|ms|cores?|cpus?|gpus?|users?|rows?|requests?|rps|"
    r"qps|nodes?|instances?|servers?|eur|usd|kg|km|miles|%"
    # How many people, days, nights and hours, as each language counts them ("for 6 people", "cho 6 người",
    # "5天", "3박", "4 personas", "2 Nächte").
    r"|people|persons?|guests?|servings?|kids|children|days?|nights?|hours?|weeks?|months?"
    r"|personas|días|noches|horas|personnes|jours|nuits|heures|personen|tage|nächte|stunden|pessoas|dias|noites"
    r"|persone|giorni|notti|ore|osób|osoby|dni|godzin|человек|дней|дня|ночей|часов|kişi|gün|gece|saat|orang|hari"
    r"|malam|jam|người|ngày|đêm|giờ|أشخاص|أيام|ليال|ساعات|人|位|天|晚|小时|小時|日間|泊|명|박|시간)"
    rf"(?![{_CASED}])",
    re.IGNORECASE,
)


# Digits of other scripts (Arabic-Indic, Persian, Devanagari, Bengali, full-width) as ASCII, one for one: "٢٠٠ ألف
# ريال" in a follow-up is the answer's "200 ألف ريال".
_DIGITS = str.maketrans(
    {chr(zero + d): str(d) for zero in (0x0660, 0x06F0, 0x0966, 0x09E6, 0xFF10) for d in range(10)}
)


def _straight(text: str) -> str:
    """Curly apostrophes made straight (the patterns are written with '), other scripts' digits as ASCII (same
    length: offsets still point into the original)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return text.translate(_DIGITS) if not text.isascii() else text


def _prose(text: str) -> str:
    """The text with code blanked out (same length, so offsets still point into the original)."""
    text = _straight(text)
    return _CODE.sub(lambda m: " " * len(m.group(0)), text) if "`" in text else text


def _unfenced(text: str) -> str:
    """The text with straight apostrophes and its fenced blocks blanked (inline code kept: a name may sit there)."""
    return _FENCED.sub(lambda m: " " * len(m.group(0)), _straight(text))


# A run of spaces too long for any pattern to match across it: blanked code, where no reference can be.
_BLANK_RUN = re.compile(r" {48,}")


def _text_regions(prose: str) -> list[tuple[int, int]]:
    """[start, end) of the prose between its long runs of spaces (the whole prose when it has none)."""
    regions = []
    start = 0
    for run in _BLANK_RUN.finditer(prose):
        if run.start() > start:
            regions.append((start, run.start()))
        start = run.end()
    if start < len(prose):
        regions.append((start, len(prose)))
    return regions


def feedback_spans(answer: str) -> list[LeakSpan]:
    """Spans of the answer that reply to the follow-up: acknowledgement openers, continuations, references."""
    return _feedback_spans(answer, _prose(answer).lower())


def _feedback_spans(answer: str, prose: str) -> list[LeakSpan]:
    spans: list[LeakSpan] = []
    for pattern, group, cue in ((_ACK, "ack", "acknowledgement"), (_CONT, "cont", "continuation")):
        m = pattern.match(prose)
        if m:
            spans.append(_span(answer, LeakKind.reply_to_feedback, m.start(group), m.end(group), cue))
    # The matches of _REF.finditer and of _FILL.finditer: each starts where _REF_OR_FILL matches, so trying
    # both at those places (and no earlier than each one's last match ended) finds the same ones.
    references: list[LeakSpan] = []
    fillers: list[LeakSpan] = []
    next_reference = next_filler = 0
    gated: set[tuple[int, int]] = set()
    # Only the prose's words are searched: an answer's code is blanked to long runs of spaces, which every pattern
    # would crawl through position by position (W1's answers: 28 µs of a 42 µs check).
    for low, high in _text_regions(prose):
        found = _REF_OR_FILL.search(prose, low, high)
        while found is not None:
            at = found.start()
            if at >= next_reference and (m := _REF.match(prose, at)):
                references.append(_span(answer, LeakKind.reply_to_feedback, at, m.end(), "reference"))
                next_reference = m.end()
            if at >= next_filler and (m := _FILL.match(prose, at)):
                fillers.append(_span(answer, LeakKind.reply_to_feedback, at, m.end(), "filler"))
                next_filler = m.end()
            found = _REF_OR_FILL.search(prose, at + 1, high)
        for word in _GATE.finditer(prose, low, high):
            pattern, before, after = _GATED_BY_WORD[word.group(0)]
            window = pattern.finditer(prose, max(word.start() - before, 0), word.end() + after)
            gated.update(m.span() for m in window)
    references += [_span(answer, LeakKind.reply_to_feedback, a, b, "reference") for a, b in sorted(gated)]
    if not prose.isascii():
        references += [
            _span(answer, LeakKind.reply_to_feedback, m.start(), m.end(), "reference")
            for m in _REF_ANYWHERE.finditer(prose)
        ]
    return sorted(spans + references + fillers, key=lambda s: s.start)


# Short names typed in a follow-up for what an answer names in full ("we're on pg" -> "In PostgreSQL ...").
_ALIASES = {
    "pg": ("postgresql", "postgres"), "postgres": ("postgresql",), "k8s": ("kubernetes",), "mac": ("macos",),
    "mongo": ("mongodb",), "vscode": ("vs code",),
}  # fmt: skip
# A runtime and its version run together ("py38", "node18", "pg15"): the version is the fact ("3.8", "18").
_RUNTIME_VERSION = re.compile(
    r"(?<![\w.])(py|python|node|nodejs|pg|postgres|java|jdk|php|ruby|go|ubuntu|debian|rhel|ios|android|macos|win)"
    r"v?(\d{1,2})(?:\.?(\d{1,2}))?(?![\w.])"
)
# How many people a follow-up says there are ("there'll be six of us", "we're 4"), as digits.
_NUMBER_WORDS = {
    word: str(n)
    for n, words in enumerate(
        (
            (), (), ("two",), ("three",), ("four",), ("five",), ("six",), ("seven",), ("eight",), ("nine",),
            ("ten",), ("eleven",), ("twelve",),
        )
    )
    for word in words
}  # fmt: skip
_PEOPLE = re.compile(
    r"(?<!\w)(?:(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r") of us\b"
    r"|(?:we(?:'re| are| will be|'ll be)|there(?:'ll| will) be|party of|group of) (\d{1,3}|"
    + "|".join(_NUMBER_WORDS)
    + r")\b)"
)


def follow_up_facts(*, followup: str, prompt: str) -> set[str]:
    """Facts (lower-cased) the follow-up states that the prompt does not."""
    german = len(_GERMAN_HINTS.findall(followup.lower())) >= 2
    known = _straight(prompt).lower()
    # "Add a short Python example", "Et sous Windows ?": a request names what it wants, it states nothing of
    # the user's situation; only its numbers and versions still count.
    request = _REQUEST.search(_straight(followup).lower()) is not None
    facts: set[str] = set()
    for m in _FACT.finditer(_straight(followup)):
        token = m.group(0).rstrip(".,-")
        has_digit = any(c.isdigit() for c in token)
        plain_word = token[:1].isupper() and token[1:].islower() and not has_digit
        # At a sentence start any word is capitalized: only a number or version is evidence there.
        if (plain_word and german) or (
            not has_digit and (request or _SENTENCE_START.search(followup[: m.start()]))
        ):
            continue
        if token.upper() in _COMMON_CAPS or len(token) < 2 or token.lower() in known:
            continue
        facts.add(token.lower())
    for m in _RUNTIME_VERSION.finditer(_straight(followup).lower()):
        runtime, major, minor = m.groups()
        if runtime in ("py", "python") and minor is None and len(major) >= 2:
            major, minor = major[0], major[1:]  # "py38", "py311"
        version = f"{major}.{minor}" if minor is not None else major
        if len(version) >= 2 and version not in known:
            facts.add(version)
    return facts


def named_facts(*, followup: str, prompt: str, answer: str) -> set[str]:
    """Words the follow-up typed in lower case ("we use httpx", "redis isnt available", "the company is
    spotify") that the prompt does not hold and the answer writes as a name: in a code span, or capitalized
    where no sentence starts (not in a German answer, which capitalizes every noun, unless all in capitals)."""
    straight = _straight(followup)
    lowered_followup = straight.lower()
    # "it's the orders table, not users": what the follow-up says the situation is not is no fact of it.
    candidates = {
        m.group(0).lower()
        for m in _LOWER_WORD.finditer(straight)
        if not lowered_followup[max(m.start() - 4, 0) : m.start()].endswith("not ")
    } - _STOPWORDS
    candidates |= {
        full
        for short, names in _ALIASES.items()
        if short in lowered_followup and re.search(rf"(?<![\w.]){short}(?![\w.])", lowered_followup)
        for full in names
    }
    if not candidates or _REQUEST.search(straight.lower()):
        # "also cache pip", "you skipped multiprocessing", "use contextlib": a request for more, not a fact.
        return set()
    lowered = answer.lower()
    known = _straight(prompt).lower()
    # Most words of a follow-up are not in the answer at all: a substring test rules them out before any regex.
    candidates = {word for word in candidates if word in lowered and word not in known}
    if not candidates:
        return set()
    text = _unfenced(answer)
    german = len(_GERMAN_HINTS.findall(text.lower())) >= 3
    code = [m.span() for m in _INLINE_CODE.finditer(text)]
    names: set[str] = set()
    for word in candidates:
        for m in re.finditer(rf"(?<![{_CASED}.-]){re.escape(word)}(?![{_CASED}-])", text, re.IGNORECASE):
            written = m.group(0)
            in_code = any(start < m.start() < end for start, end in code)
            named = (
                written[:1].isupper()
                and not _starts_sentence(text, m.start())
                and (not german or written.isupper())
            )
            if in_code or named:
                names.add(word)
                break
    return names


def _starts_sentence(text: str, at: int) -> bool:
    """Whether a sentence, heading, list item or line starts at `at` (Markdown marks and quotes skipped)."""
    k = at - 1
    while k >= 0 and (text[k] in " \t*_#>`\"'([-" or text[k].isdigit()):
        k -= 1
    return k < 0 or text[k] in "\n.!?:|"


def unit_facts(*, followup: str, prompt: str) -> list[re.Pattern[str]]:
    """Quantities with a unit in the follow-up ("only has 2gb ram", "8 cores") that the prompt does not give,
    as patterns that find them however the answer spaces or capitalizes them ("2 GB")."""
    known = _straight(prompt).lower()
    patterns = []
    for number, unit in {(m[1], m[2].lower()) for m in _UNIT_FACT.finditer(_straight(followup))}:
        pattern = re.compile(
            rf"(?<![{_CASED}.,]){re.escape(number)}\s?{re.escape(unit)}s?(?![{_CASED}])", re.IGNORECASE
        )
        if pattern.search(known) is None:
            patterns.append(pattern)
    return patterns


def people_facts(*, followup: str, prompt: str) -> list[re.Pattern[str]]:
    """How many people the follow-up says there are ("there'll be six of us"), as patterns that find the number
    the answer gives them ("for 6 people", "6 servings")."""
    lowered = _straight(followup).lower()
    if "us" not in lowered and "be " not in lowered and "we" not in lowered and "of " not in lowered:
        return []
    known = _straight(prompt).lower()
    patterns = []
    for m in _PEOPLE.finditer(lowered):
        count = m.group(1) or m.group(2)
        number = _NUMBER_WORDS.get(count, count)
        pattern = re.compile(
            rf"(?<![{_CASED}.,]){number}\s?(?:people|persons|guests|servings|portions|adults|of you)\b"
            rf"|\bfor {number}(?![{_CASED}.,])",
            re.IGNORECASE,
        )
        if pattern.search(known) is None:
            patterns.append(pattern)
    return patterns


def information_spans(*, answer: str, followup: str, prompt: str) -> list[LeakSpan]:
    """Occurrences in the answer's prose of facts only the follow-up gave."""
    return _all_information(answer, _prose(answer).lower(), followup, prompt)


def _all_information(answer: str, prose: str, followup: str, prompt: str) -> list[LeakSpan]:
    facts = follow_up_facts(followup=followup, prompt=prompt)
    spans = _information_spans(answer, prose, facts) if facts else []
    names = named_facts(followup=followup, prompt=prompt, answer=answer) - facts
    if names:
        # A name may sit in a code span (`httpx`): look in the answer with only its fenced blocks blanked.
        spans += _information_spans(answer, _unfenced(answer).lower(), names)
    for pattern in unit_facts(followup=followup, prompt=prompt) + people_facts(
        followup=followup, prompt=prompt
    ):
        spans += [
            _span(answer, LeakKind.information, m.start(), m.end(), "follow-up fact")
            for m in pattern.finditer(prose)
        ]
    return sorted(spans, key=lambda s: s.start)


def _information_spans(answer: str, prose: str, facts: set[str]) -> list[LeakSpan]:
    spans: list[LeakSpan] = []
    for fact in sorted(facts):
        # Each occurrence not inside a word: not after a letter, digit, _ or ".", not before a word character.
        at = prose.find(fact)
        while at >= 0:
            end = at + len(fact)
            before = prose[at - 1] if at else " "
            after = prose[end] if end < len(prose) else " "
            if _glued(before) or before == "." or _glued(after):
                at = prose.find(fact, at + 1)
                continue
            spans.append(_span(answer, LeakKind.information, at, end, "follow-up fact"))
            at = prose.find(fact, end)
    return sorted(spans, key=lambda s: s.start)


def _glued(char: str) -> bool:
    """Whether a character next to a fact makes it part of a longer word: a digit, _ or a letter of a cased
    script (Chinese or Thai letters run on into a number or a name without being part of it)."""
    return char.isdigit() or char == "_" or char.isupper() or char.islower()


def find_leaks(*, answer: str, followup: str, prompt: str) -> list[LeakSpan]:
    """Every leak span in the answer, in text order."""
    prose = _prose(answer).lower()
    spans = _feedback_spans(answer, prose) + _all_information(answer, prose, followup, prompt)
    return sorted(spans, key=lambda s: (s.start, s.end))


def leak_fields(*, answer: str, followup: str | None, prompt: str) -> dict[str, Any]:
    """The pair columns `leak_kinds`, `leak_spans` and `leak_detector` for a revised answer."""
    spans = find_leaks(answer=answer, followup=followup or "", prompt=prompt)
    kinds = [k for k in LeakKind if any(s.kind == k for s in spans)]
    return {
        "leak_kinds": ",".join(str(k) for k in kinds),
        "leak_spans": [s.as_dict() for s in spans],
        "leak_detector": LEAK_DETECTOR_VERSION,
    }


def prompt_text(turns: Sequence[tuple[str, str]], *, end: int) -> str:
    """Everything the exported prompt says: the turns up to and including `end`."""
    return "\n\n".join(t[1] for t in turns[: end + 1])


def make_standalone(*, answer: str, followup: str, prompt: str) -> str | None:
    """The answer without its leading acknowledgement, or None when that does not leave a standalone answer.

    Drops the opener's clause ("Agreed, X" -> "X") or, when the rest of that sentence still refers to the
    follow-up, the whole sentence; repeats for a second filler sentence ("You're right! Let me go deeper. ...").
    """
    text = answer
    for _ in range(3):
        if not _opens_with_feedback(text):
            break
        dropped = _drop_opener(text)
        if dropped is None:
            return None
        text = dropped
    if text == answer or not text.strip():
        return None
    if find_leaks(answer=text, followup=followup, prompt=prompt):
        return None
    return text


def _drop_opener(text: str) -> str | None:
    """Remove the leading acknowledgement clause, or the whole first sentence when the clause is not enough."""
    m = _ACK.match(_prose(text).lower())
    if m:
        clause = _CLAUSE_END.match(text, m.end("ack"))
        if clause:
            rest = _capitalize(text[clause.end() :])
            if rest and not _first_sentence_refers(rest):
                return rest
    end = _first_sentence_end(text)
    # The emphasis that closed the dropped sentence ("**Good catch!** Here ..."), not the next one's ("**1. Visa**").
    rest = _CLOSING_MARKS.sub("", text[end:], count=1).lstrip(" \t\n")
    return _capitalize(rest) if rest else None


def _opens_with_feedback(text: str) -> bool:
    """True when the first sentence holds an acknowledgement or a filler (what the transform may drop)."""
    end = _first_sentence_end(text)
    return any(s.cue in _DROPPABLE and s.start < end for s in feedback_spans(text))


def _first_sentence_refers(text: str) -> bool:
    end = _first_sentence_end(text)
    return any(s.start < end for s in feedback_spans(text))


_DROPPABLE = frozenset({"acknowledgement", "filler"})
_CLOSING_MARKS = re.compile(r"^[*_]+(?=\s|$)")


def _first_sentence_end(text: str) -> int:
    m = _SENTENCE_END.search(_prose(text))
    return m.end() if m else len(text)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _span(answer: str, kind: LeakKind, start: int, end: int, cue: str) -> LeakSpan:
    return LeakSpan(kind=kind, start=start, end=end, text=answer[start:end], cue=cue)


def segments(text: str, spans: list[dict[str, object]]) -> list[tuple[str, str | None]]:
    """`text` cut into (piece, leak kind or None) for highlighting stored spans; overlaps keep the first."""
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for span in sorted(spans, key=lambda s: (int(str(s["start"])), int(str(s["end"])))):
        start, end = int(str(span["start"])), int(str(span["end"]))
        if start < at or end > len(text) or start >= end:
            continue
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], str(span["kind"])))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces
