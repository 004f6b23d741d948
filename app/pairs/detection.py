# ruff: noqa: RUF001, RUF003 - words and examples in many scripts
"""Find preference pairs in a conversation: an answer, the user's pushback on it, and the revision.

A small log-odds model over all three turns. Cue families (named tuples of patterns) run over the user's own
words in the reply (not code blocks at full weight, not quoted lines, not the body of a long paste): pushback
cues raise the score; acceptance, praise and new-topic cues lower it, because the classic false positive is a
follow-up that accepts the answer and asks something new ("Thanks, works. But now ..."). A short statement of a
problem counts as pushback even without a correction word. The revision's opening says whether the assistant
took the point or defended its answer (a defended answer holds no preference), and how the revision differs
from the answer (new code, prose in place of code, the same words) adds evidence. When the assistant meets the
pushback with a clarifying question, the chosen answer is the one after the user's clarification.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any

from app.conversations.importers.base import PickledByFields
from app.pairs.cues import ACCEPTANCE_CUES, PUSHBACK_CUES, REVISION_CUES, CueScanner
from app.pairs.text_model import mean_score, text_model

# Stored with every pair: changes with the rules and with the text model's weights (app/pairs/text_model.json).
DETECTOR_VERSION = "heuristic-18"
# A reply with no cue at all scores 0.23: storing every such triple would only bloat the pairs table.
MIN_STORED_SCORE = 0.25
# The same floor before squashing: a pair whose sum stays under it is not stored.
_STORED_Z = math.log(MIN_STORED_SCORE / (1 - MIN_STORED_SCORE))
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class DetectedPair(PickledByFields):
    rejected: int
    pushback: int
    chosen: int
    score: float
    signals: tuple[str, ...]


_PUSHBACK, _ACCEPTANCE, _REVISION = (CueScanner(c) for c in (PUSHBACK_CUES, ACCEPTANCE_CUES, REVISION_CUES))
_CLARIFY_OPENERS = re.compile(
    r"\b(?:before i|to (?:give|make|answer|recommend)|(?:could|can) you (?:share|tell|clarify)"
    r"|a few questions|quick question|do you (?:use|have|need|want)|which (?:version|database))"
)
# An answer that only asks for what it needs to answer ("Please provide me with the source code of the function",
# a real ChatGPT export): nothing in it to reject; the next message is that material, not pushback.
_ASKS_FOR_INPUT = re.compile(
    r"\b(?:please|kindly|could you|can you|would you)\s+(?:\w+\s+)?(?:provide|share|paste|send|upload|post|give)"
    r"\s+(?:me\s+)?(?:with\s+)?(?:the|your|a|some|more)\b"
    # A voice assistant that did not understand and asks to hear it again ("Sorry, ik begrijp de vraag niet helemaal.
    # Kunt u het anders formuleren?", a real log): the next message says it again, it rejects nothing.
    r"|\b(?:rephrase|reformulate|say (?:that|it) again|repeat (?:that|your question)|anders formuleren|verduidelijken"
    r"|umformulieren|reformular|reformuler|riformulare)\b"
)
_ASKS_INPUT = -2.0
_ASKS_ABOUT_YOU_CHARS = 400
_ASKS_ABOUT_YOU = re.compile(
    r"\b(?:(?:do|did|have|are|were|can|could|will|would) you\b(?! (?:like|want|prefer|need) me\b)|your\b|tell me about)"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»\n]{6,120})[\"“”„«»]")
# General punctuation (dashes, ellipsis, spaces), arrows, maths and other symbols, dingbats, emoji.
_SYMBOLS = re.compile("[\u00a0\u00d7\u2000-\u2bff\ufe0f\U0001f000-\U0001faff]")
_SEPARATORS = ("\n", "\t", '"', "“", "”", "„", "«", "»", "(", "[", "*", "`", "/", "¿", "¡")

_BIAS = -1.2  # an answer followed by a user turn with no cues at all is probably not a pair
_REPEAT_BONUS = 1.3  # a family hit twice ("we're on Heroku ... isn't an option") weighs a bit more
_QUOTES_ANSWER = 1.0  # '"Depends on your app", fine, here is our app': the user throws the answer back
_EXPANDS, _TOO_SHORT = 0.4, -0.8  # a revision usually adds to the answer; a one-liner rarely revises it
_IS_QUESTION = -1.0  # a clarifying question is neither an answer to reject nor a revision
# "This breaks when two workers run it at once": a short statement, no question, no thanks, no praise.
_STATES_PROBLEM = 1.3
# A person who states things all along (a companion bot's chat, a game's moves, edit after edit on one page): in a
# conversation where at least _HABIT_MIN replies, and half of its exchanges, would earn the prior alone, a statement
# is how they talk, not a problem they found (eleventh fetch: 37 false pairs in one Vietnamese bot's history, "chào
# leon", "tôi bệnh"; four in a page built by edit requests).
_HABIT_STATEMENT = 0.0
# A statement with no word of trouble in it (no negation, "still", "only", "but", an error or a failure, in the
# languages people write to assistants in): "have new line for author list", "질문의 정의", "me decís un chiste con mi
# nombre", "지금 나는 ... 진행하려고 해" are requests or answers, not problems found (eleventh and twelfth fetches). It
# earns a smaller prior.
_PLAIN_STATEMENT = 0.5
_TROUBLE_WORDS = re.compile(
    r"\b(?:not|no|nope|nobody|nothing|never|none|nowhere|without|still|again|anymore|only|but|instead|yet|wrong"
    r"|\w*errors?|exception|problem|problems|issue|issues|fail|fails|failed|failing|broke|broken|missing|bug|crash"
    r"|crashes|crashed|can't|cannot|won't"
    r"|dont|doesnt|didnt|isnt|wasnt|cant|wont|shouldnt|wouldnt|couldnt|arent|havent|hasnt|aint"
    # Spanish, Portuguese, French, Italian, German, Dutch, Swedish, Polish, Czech.
    r"|nunca|nada|ni|sin|todavía|aún|sigue|siguen|sigo|pero|solo|sólo|não|nao|sem|ainda|continua|continuam|erro|mas|só"
    r"|ne|pas|jamais"
    r"|rien|sans|toujours|encore|erreur|mais|seulement|non|mai|niente|senza|ancora|errore|ma|nicht|kein|keine"
    r"|keinen|nie|ohne|noch|fehler|aber|nur|niet|geen|nooit|zonder|fout|maar|alleen|inte|ingen|aldrig|utan"
    r"|fortfarande|fel|men|bara|nie|nigdy|bez|wciąż|nadal|błąd|ale|tylko|není|nic|pořád|chyba|jen"
    # Russian and Ukrainian, Turkish, Indonesian and Malay, Vietnamese, Hindi in Latin letters.
    r"|не|нет|ни|без|ещё|еще|ошибка|ошибку|ошибки|но|только|ні|ще|помилка|але|değil|yok|hiç|hala|hâlâ|hata"
    r"|ama|sadece|tidak|tak|belum|bukan|jangan|gak|nggak|enggak|masih|salah|kesalahan|tapi|hanya|không|chưa"
    r"|đừng|chẳng|vẫn|lỗi|nhưng|chỉ|nahi|nahin|mat|galat|same"
    # Danish and Norwegian, Finnish.
    r"|nej|nei|ikke|ingen|aldri|uten|fortsatt|feil|kun|ei|ole|vielä|virhe|mutta|vain)\b|n't\b"
    # Chinese, Japanese, Korean, Thai, Arabic, Hebrew: no word boundaries to rely on.
    r"|[不没沒别別错錯]|还是|還是|仍然|问题|問題|失败|失敗|报错|報錯|ない|ません|なかった|違|まだ|エラー|だめ|ダメ"
    r"|않|못|없|아니|아냐|아직|오류|에러|틀렸|안 |ไม่|ยัง|لا|ليس|لم|لن|بدون|خطأ|لكن|לא|אין"
)
_HABIT_MIN = 4
# "add a login page", "read lab10task2": a request for new work says nothing against the answer before it.
_ASKS_NEW_WORK = -0.8
_NEW_CODE, _RESTATES = 0.6, -1.0  # the revision brings code of its own / says what the answer said
_CODE_WEIGHT = 0.5  # a traceback in a code block is evidence, but weaker than the user's own words
_HEAD, _TAIL = 2000, 500  # cues sit at the start and end of a reply; a pasted log must not cost seconds
_PASTE_CHARS, _OWN_HEAD = 2000, 600  # past this, only the user's opening paragraph is their own words
_OWN_TAIL = 400  # and a short closing one that points back at the paste
_POINTS_BACK = re.compile(
    r"\babove\b|\b(?:this|that|these|those|the) (?:errors?|failures?|failing tests?|output|logs?|traces?)\b",
    re.IGNORECASE,
)
_STATEMENT_CHARS = 700
_PASTED = -1.5  # a long paste is mostly new material to work on, not a verdict on the answer
_ASKS = -0.8  # a bare question ("But what about logging?") without a real pushback cue asks for more
_STRONG = 1.0  # pushback families at least this heavy make "states a problem" / "asks" moot
# A reply that opens like a question (its mark left out) or like a request for new work.
_QUESTION_OPENER = re.compile(
    # "and is it ok to ...", "ok so how do I ...": a conjunction or an acknowledgement may come first.
    r"\W*(?:(?:and|but|so|also|ok|okay|oh|btw|then|wait|hmm|hm)\W+){0,2}"
    # "if I am in a div, then how do i get the items to move": a condition may come first.
    r"(?:if [^,.?!\n]{1,80},\s*(?:then\s+)?)?"
    r"(?:(?:can|could|would|should|is|are|do|does|will) (?:you|it|this|that|there|we|i|they|any|the)\b"
    # "did the port forward, gave them my ip": "did the" opens statements ("I did the ...") as often as questions.
    r"|did (?:you|it|this|that|there|we|i|they|any)\b"
    r"|what(?:'?s| is| are| does| do| about| if| would| should| can| kind)\b|which\b"
    # "what tools do i need for drawing": what and a noun, then the question's verb.
    r"|what \w+ (?:do|does|did|is|are|should|can|would|will) (?:i|you|we|they|it|he|she)\b"
    r"|how (?:do|does|can|could|would|should|is|are|much|many|about|long|to)\b"
    r"|why\b|where (?:is|are|do|does|can|should)\b|who\b)"
)
# A question opening the reply's last clause ("orgo on thursday. do you ever get tired", "exactly that. what's a good
# action item"); not "can you tone it down", which asks for the fix after a problem stated before it.
_CLAUSE_QUESTION = re.compile(
    r"\W*(?:(?:and|but|so|also|ok|okay|oh|btw|then|meanwhile)\W+){0,2}"
    r"(?:(?:do|does|did|is|are|will) (?:you|it|this|that|there|we|i|they|any|the)\b|(?:can|could) you tell me\b"
    r"|what(?:'?s| is| are| does| do| about| if| would| should| kind)\b|which\b"
    r"|how (?:do|does|is|are|much|many|about|long)\b|why\b|where (?:is|are|do|does|can|should)\b|who\b"
    # "ok so G3a. anything to change with metformin at that level".
    r"|anything (?:to|i|we|else|that)\b)"
)
# Chinese, Japanese, Korean and Thai ask without a question mark: a final particle ("在 CI 里缓存 node_modules 吗",
# "これで合っていますか", "이거 맞나요", "ควรโพสต์ช่วงเวลาไหนดีคะ") or, in Chinese, a verb and its negation ("要不要缓存",
# "是不是", "能不能"). Greek writes its question mark as a semicolon.
_QUESTION_PARTICLE = re.compile(
    # Chinese also ends a question on its question word: "差异在哪" ("where is the difference"), "区别是什么".
    r"(?:[吗嗎呢]|在哪[里裡儿兒]?|是什[么麼]|[为為]什[么麼]|怎[么麼](?:[办辦样樣]|回事)?|ですか|ますか|でしょうか|かな|까요?|나요|니까"
    r"|\b(?:mı|mi|mu|mü)(?:sın|sin|sun|sün|sınız|siniz|yım|yim)?"
    r"|(?:ไหม|มั้ย|หรือเปล่า|หรือยัง|ไหนดี|อะไรดี|ยังไง|อย่างไร|เท่าไร|เท่าไหร่)(?:คะ|ครับ|ค่ะ|นะคะ|นะครับ)?"
    r"|[\u0370-\u03ff\u1f00-\u1fff]\w*\W{0,2};)\W*$"
)
# A question word opening a short reply, as people on phones ask without a question mark: "que es un juicio verbal",
# "а що таке обвід школи", "anong dadalhin ko", "phí bao nhiêu vậy anh", "의료비 공제가 뭐예요"; not "como te dije"
# ("as I told you"), where the word compares.
_ASKED_CHARS = 300
_ASKED = re.compile(
    r"\W*(?:(?:a|y|e|i|und|et|ok|dạ|vâng|а|и|і|ну|اوك|طيب)\W+){0,2}"
    r"(?:(?:qu[eé]|c[oó]mo|cu[aá]nt[oa]s?|cu[aá]ndo|d[oó]nde|por qu[eé]|cu[aá]l(?:es)?|o que|quant[oa]s?|quando|onde"
    r"|qual|c'est quoi|qu'est-ce|combien|pourquoi|was ist|wie viel|wieviel|warum|welche[rsn]?|cos'è|cosa|quale|perché"
    r"|co to|ile|gdzie|kiedy|czy|dlaczego|що таке|что такое|скільки|сколько|чому|почему|коли|когда|де|где"
    r"|ano(?:ng)?|paano|magkano|saan|kailan|bakit|apa|bagaimana|gimana|berapa|kapan|kenapa|mengapa|nini|vipi|wapi"
    r"|lini|kya|kaise|kitna|kitne|kab|kahan|kyun|kyon)\b(?! (?:te |ya |lo )?dij|(?:ya )?mówi|i said)"
    r"|(?:jak|як|как|como|comment|wie|come)\b(?! (?:te |ya |lo )?dij| (?:ya )?mówi| (?:je |tu )?(?:l'ai |t'ai )?dit| gesagt| detto| i said| you said)"
    r"|[^\n]{0,200}(?:bao nhiêu|thế nào|là gì|ở đâu|khi nào|tại sao|뭐예요|뭔가요|뭐야|어떻게|얼마|언제|어디)"
    r"|(?:ما هو|ما هي|كيف|كم|متى|أين|ليش|ليه|شو)\b)"
)
# Chinese asks "why" or "how" anywhere in the sentence ("这里为什么指向的是对象的引用"); Spanish and Portuguese open
# a question by asking whether something can be done ("esto se puede poner en la misma línea").
_ASKS_WHY = re.compile(r"[为為]什[么麼]|[为為]何|怎[么麼]|如何")
_ASKS_IF_ONE_CAN = re.compile(
    r"\W*(?:(?:y|e|pero|mas|ok)\W+)?(?:esto |eso |isso |isto )?(?:se puede|puedes|podr[ií]as|d[aá] pra|pode(?:s|ria)?|es posible|[eé] poss[ií]vel)\b"
)
_A_NOT_A = re.compile(
    r"要不要|是不是|能不能|可不可以|有[没沒]有|[会會]不[会會]|用不用|需不需要|[该該]不[该該]|[对對]不[对對]|好不好|行不行"
)
# "... line got me. can you write verse 2": the last clause asks for something new to be made.
_ASKS_TO_WRITE = re.compile(
    r"\W*(?:(?:and|so|ok|okay|now)\W+)?(?:can|could|would) you (?:please |pls )?(?:also )?"
    r"(?:write|create|add|draft|translate|generate|give me|show me|explain|do one|do the same)\b"
    # The same in French, German, Spanish, Portuguese and Italian: "... mais c'est pas clair. peux tu m'expliquer le
    # contenu de cet article" (an article the person brings, eleventh fetch).
    r"|\W*(?:(?:et|und|y|e|alors|also|entonces|então)\W+)?(?:peux[- ]tu|pourrais[- ]tu|pouvez[- ]vous|pourriez[- ]vous"
    r"|kannst du|könntest du|können sie|könnten sie|puedes|podrías|podes|você pode|puoi|potresti)\s+"
    r"(?:me |m'|mir |mi |nous )?(?:expliquer|écrire|créer|ajouter|traduire|donner|montrer|résumer|erklären|schreiben"
    r"|erstellen|übersetzen|geben|zeigen|explicar|escribir|crear|añadir|traducir|dar|mostrar|resumir|explicar"
    r"|escrever|criar|adicionar|traduzir|spiegare|scrivere|creare|aggiungere|tradurre|mostrare|riassumere)\b"
)
_NEW_WORK = re.compile(
    r"\W*(?:(?:part|step|task|exercise|question|problem|item|q|ex|ejercicio|pregunta|aufgabe|frage)\s*#?\d+\b"
    r"|(?:(?:yes|ok|okay|sure|да|oui|sí|sim|ja)\W+)?"
    # The assistant addressed first, as people talk to a voice assistant ("hey computer, set up a java program").
    r"(?:(?:hey|hi|hello|yo|ok|okay)?\W*(?:system assistant|assistant|computer|bot|gpt|chatgpt|claude|gemini|buddy|bro|dude)\W+)?"
    r"(?:(?:now|also|and|please|pls|then|por favor|s'il te plaît|bitte)\s+){0,3}"
    r"(?:create|add|implement|write|build|generate|give me|show me|list|explain|design|draft|translate|run"
    r"|summari[sz]e|refactor|convert|extend|include|push|commit|deploy|keep|let's make|let's add|read all"
    r"|set up|install|rename|move|tell me|rerun|re-run|update|craft|compose"
    # Commands and requests real agent sessions and exports hold: "Read the file .env in this directory.", "Use the
    # Glob tool to ...", "Continue to explain ...", "i want to add a dark mode switch", "additionally X should ...".
    r"|read|use the|delete|open|find|search|check|look at|continue|think about|expand on|expand upon|elaborate on"
    # An agent's session of instructions, one after the other ("Make the cooldown circle slightly larger", "Let's
    # remove the red highlight", "Change the rule such that ...", "Rewrite the whole script into ...", "count the
    # total lines"): the next change asked for, unless the reply also says what is wrong.
    r"|(?:make|let's|let us|vamos|change|use|rewrite|remove|count|replace|rename|split|break down|go ahead)(?= [\w\"'(])"
    # The same requests in other languages ("Dame consejos para mejorar ...", "сделай всё", "donne-moi ...").
    r"|dame|hazme|escríbeme|explícame|muéstrame|crea|genera|agrega|añade|me dá|me dê|faça|crie|escreva|explique"
    r"|mostre|gere|adicione|donne-moi|fais|écris|explique-moi|montre-moi|crée|ajoute|génère|gib mir|mach|schreib"
    r"|erkläre|zeig mir|erstelle|füge|дай|сделай|напиши|объясни|покажи|создай|добавь"
    # "опиши nn.Linear", "обьясни nn.ModuleDict" (as typed), "verifique o frontend", "creer ma branche", "repair json".
    r"|опиши|обьясни|расскажи|проверь|исправь|verifique|verifica|creer|créer|crée-moi|repair|resume|fix up"
    # European Portuguese's imperatives ("cria uma sebenta sobre ...", "escreve agora ..."), "give recipe for ...".
    r"|cria|escreve|explica|mostra|dá-me|diz-me|give"
    # Spanish: "Corrige esto:", "Resúmeme el texto", "Escribe de modo más legible ...", "Describe un partido ...".
    r"|corrige|corrígeme|resume|resúmeme|escribe|describe|traduce|tradúceme|revisa|dime|calcula|talk about|talk more"
    # Hebrew: "תקבע לי פגישה ..." ("set me a meeting ..."), "תשלח", "תכתוב", "תזמין".
    r"|תקבע|תשלח|תכתוב|תזמין|תמצא"
    r"|i (?:want|would like|'d like) to (?:add|create|make|build|have|see|try|learn)|additionally|in addition"
    # "make me a new website about cars", "I want a python project set up for me": something new to be made.
    r"|make (?:me|us) (?:a|an|some)|make (?:a|an) new|i (?:want|would like|'d like) (?:a|an) "
    # Indonesian and Malay: "buat seed data di file terpisah" ("make seed data in a separate file").
    r"|buat|buatkan|bikin|bikinkan|tambahkan|tolong buat)\b(?!:))"
    # Not a command's error that opens with the command's name ("find: -printf: unknown primary or operator").
)
# Languages that put the request at the end: "1番目について、より詳しく説明してください" ("explain the first one
# in more detail, please"), Korean "...해 주세요"; Chinese opens with it: "请...", "幫我建立 README" ("help me create a
# README"), "建立一個 requirements.txt" ("create a requirements.txt").
_REQUEST_OPENER = re.compile(
    # A lead that says what the request builds on, before the polite request: "基于目前的网站代码，请为我推荐..." ("based
    # on the code so far, please recommend ...", eleventh fetch). Only that kind of lead: "页面空白，请检查" states a
    # problem before its "please".
    r"\W*(?:(?:基于|基於|根据|根據|参考|參考|按照|依照|结合|結合)[^，,。！？!?\n]{0,30}[，,]\s*(?=请|請|帮我|幫我|麻烦|麻煩))?"
    r"(?:请|請|帮我|幫我|麻烦|麻煩|将|將|建立|创建|創建|新增|添加|加上|加入|增加|生成|产生|產生|给我|給我|整理|总结|總結|列出"
    r"|实现|實現|实作|實作|开发|開發|写一|寫一|翻译|翻譯|解释一下|解釋一下|说说|說說|讲讲|講講|介绍一下|介紹一下|告诉我|告訴我)"
)
# "Make it so the squares have a fixed size. Currently they change with the window": the request says what is wrong.
_CURRENT_STATE = re.compile(r"\b(?:currently|right now|at the moment|as it is now)\b")
# A reply that is one command to the app (`/world.spawn agent`, `/permissions`, `/model gpt-4o`): a request, not a verdict.
# Its arguments are at most two bare values: "/ready 这个接口根本不存在" and "/fix the login is broken" say what is wrong.
_COMMAND = re.compile(r"[ \t]*/[a-z][\w.:-]{0,40}(?:[ \t]+[A-Za-z0-9_.:=,/@-]{1,40}){0,2}\s*$", re.IGNORECASE)
# A reply that is a file's name alone ("package.json", after an answer that used it): the person asks for that file.
_FILE_NAME = re.compile(r"\s*[\w.-]*\w\.[a-z][a-z0-9]{0,4}\s*$", re.IGNORECASE)
_FILE_NAME_CHARS = 60
_REQUEST_END = re.compile(r"(?:ください|下さい|下し|お願いします|お願い|주세요|해줘|해 줘)\W*$")
_DROPS_CODE = -0.7  # code answer, prose revision of about its size: an explanation, not a new version
_REVISION_HEAD = 400
# A defence often ends on its verdict ("So the function stays as it is."): the end of a revision whose opening
# neither concedes nor defends, after a reply that disagrees, is read for that cue alone.
_REVISION_TAIL = 300
# A fence runs to the next ``` or the end (```.*?(?:```|\Z) with DOTALL, without trying both at every character).
_FENCE = re.compile(r"```(?:[^`]++|`(?!``))*+(?:```|\Z)")
_QUOTE_LINE = re.compile(r"^>.*$", re.MULTILINE)
_IMAGE_LINK = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)")
_FENCE_OPENS_LINE = re.compile(r"^[ \t]{0,3}```", re.MULTILINE)
_WORD = re.compile(r"\w+")
# Bytes that `\w` does not match in ASCII text, mapped to a space.
_NON_WORD_TO_SPACE = bytes(
    b if chr(b).isascii() and (chr(b).isalnum() or chr(b) == "_") else 32 for b in range(256)
)
# The same, but UTF-8's bytes of other characters kept: a text split at these holds every `\w` run of it
# whole, in words of plain ASCII letters and words that hold other characters too.
_ASCII_NON_WORD_TO_SPACE = bytes(b if b >= 128 else _NON_WORD_TO_SPACE[b] for b in range(256))
_FAILURE = next(cue for cue in PUSHBACK_CUES if cue.name == "failure")
# What an error output holds, inside words too (`NullPointerException`, `TypeError:`, `npm ERR!`, `exit code 1`).
_ERROR_OUTPUT = re.compile(
    r"error|exception|traceback|fatal|panic|failed|failure|segmentation fault|exit (?:code|status) [1-9]|\bE\d{3,4}\b"
    r"|oomkilled|crashloopbackoff|out of memory",
    re.IGNORECASE,
)
# Emoji of delight or thanks: heart eyes, smiling with hearts, star-struck, heart, thumbs up, folded hands, fire,
# OK hand, smiling, grinning, party popper and face, smiling face.
_DELIGHT = re.compile(
    "[\U0001f60d\U0001f970\U0001f929\u2764\U0001f44d\U0001f64f\U0001f525\U0001f44c\U0001f60a\U0001f604\U0001f389\U0001f973\u263a]"
)
_CORRECTION = next(cue for cue in PUSHBACK_CUES if cue.name == "correction")
_COMMA_NOT = re.compile(r",\s*not\s+[^\W\d]\w*(?:\s+\w+){0,2}\W*$")
_COMMA_NOT_CHARS = 200
# A role-play move: an action of two words at least between asterisks, opening the reply (`*grabs the letter*`);
# not emphasis that says what is wrong (`*not* what I asked`, `*this is wrong*`).
_ROLEPLAY = re.compile(r"\s*\*([a-z][a-z']*\s[^*\n]{2,160})\*")
_NOT_ACTION = re.compile(r"\b(?:not|no|wrong|never|don't|doesn't|didn't|isn't|can't|won't)\b")
_IN_STORY = -2.5
_APPLIED_IT = next(cue for cue in PUSHBACK_CUES if cue.name == "applied-it")
# Words that turn a report of what the person did into a problem ("... and now nobody can join").
_NEGATED = re.compile(
    r"\b(?:not|no|nobody|nothing|never|none|still|but|now|again|only|can't|cannot|won't|doesn't|didn't|isn't|aren't"
    r"|wasn't|don't|error|fails?|failed|broke|broken|wrong|same|without)\b|n't\b"
)
_GREEK = re.compile("[\u0370-\u03ff]")
_GREEK_QUESTION = re.compile("[;\u037e](?=\\s|$)")
_WRONG_OUTPUT = next(cue for cue in PUSHBACK_CUES if cue.name == "wrong-output")
# One bare word in a Latin or Cyrillic script ("storage", "skills", "Projects."): a topic or a command, as people
# drive menu-like bots in saved logs, unless it is one of the words people answer a failed fix with.
_BARE_WORD = re.compile(r"\s*([A-Za-z\u00c0-\u024f\u0400-\u04ff]{2,20})[.!]?\s*")
_STILL_WORDS = frozenset(
    (
        "still", "same", "again", "nothing", "nada", "empty", "null", "none", "nil", "undefined", "nan", "blank",
        "zero", "timeout", "worse", "hmm", "hm", "huh", "meh", "ugh", "wtf", "seriously", "really", "nie", "nein",
        "non", "não", "nao", "нет", "опять", "ещё", "еще", "noch", "immer", "encore", "toujours", "todavía",
        "sigue", "ainda", "igual", "pareil", "gleich", "dasselbe", "idem", "unchanged", "wrong", "nope", "nah",
    )
)  # fmt: skip
# A number set against another, as a wrong result is: "i think california is 21 days not 30", "it's 4 not 6".
_NUMBER_NOT = re.compile(r"\b(\d[\d.,]*)\s?(?:%|[^\W\d]+)? not \d")
# "slide 2 says revenue up 12%. its 21": the right number stated last, against one the answer gave.
_NUMBER_IS = re.compile(
    r"\b(?:it's|its|it is|should be|supposed to be|is actually|was actually)\s+\$?(\d[\d.,]*)\s*%?\W*$"
)
_NUMBER = re.compile(r"\d[\d.,]*")
_DIGITS = tuple("0123456789")
_CHANGES_PLAN = next(cue for cue in ACCEPTANCE_CUES if cue.name == "changes-plan")
_FOLLOWS_PLAN = frozenset(
    cue for cue in PUSHBACK_CUES if cue.name in ("redo", "alternative", "wants-specifics")
)
# "no wait, i gave you the wrong diameter. it's 16 mm not 12, sorry. redo?": the person's own slip; the redo and
# the "wrong" follow from it.
_OWN_MISTAKE = next(cue for cue in ACCEPTANCE_CUES if cue.name == "own-mistake")
_FOLLOWS_OWN_MISTAKE = _FOLLOWS_PLAN | frozenset(
    cue for cue in PUSHBACK_CUES if cue.name in ("correction", "opens-with-no")
)
# Spreadsheet errors read the same in every language: "זה נותן #NAME? בכל השורות", "#N/A in every row".
_SHEET_ERROR = re.compile(
    r"#(?:name\?|n/a|ref!|value!|spill!|div/0!|num!|null!|calc!|nombre\?|valor!|nv\b|wert!|bezug!)"
)
# "perfect. now add tests, especially the failure cases: expired token, wrong signature": after going along, the next
# task's own words (its failure cases) are no verdict on the answer.
_ACCEPTS_THEN_ASKS = re.compile(
    r"\W*(?:perfect|great|nice|awesome|excellent|lgtm|looks good|works|thanks|thank you|cool|ok|okay)\b[^.!,;:\n]{0,20}[.!,;:]+\s*"
    r"(?:now|next|also|and now)\s+(?:add|write|create|implement|build|make|generate|cover|do|handle)\b"
)
_GOES_ALONG = frozenset(
    cue for cue in ACCEPTANCE_CUES if cue.name in ("goes-along", "praise", "agrees", "thanks")
)
_OPENS_WITH_NO = next(cue for cue in PUSHBACK_CUES if cue.name == "opens-with-no")
# An answer that ends by asking about the person ("Have you used SQL in a professional setting?", an interviewer
# in a role-play): a "no" after it answers the question. Not an offer ("Want me to tweak the tone?" "nope. no
# puns" rejects what the answer did).
_ASKS_ABOUT_PERSON = re.compile(
    r"(?:have you (?:ever |already )?(?:used|tried|worked|done|had|been)|are you (?:using|on|planning|familiar)"
    # "Were you motoring at all during the encounter?" "no, engine was off the whole time".
    r"|do you (?:have|use|plan|know)|tell me about|were you|did you (?:\w+ )?(?:use|try|run|have|get|see|check|set)"
    # "Was anything deployed around 03:10?" "No. Nothing in the deploy log".
    r"|(?:was|were) (?:there|anything)|did (?:anything|anyone|someone))\b"
)
# A reply that opens by answering yes or no, in the languages the cues read.
_YES_OR_NO = re.compile(
    r"\W*(?:no|nope|nah|yes|yeah|yep|yup|nej|nei|ja|nein|non|nee|oui|sí|si|não|nao|sim|да|нет|ні|так|evet|hayır"
    r"|不是|不|是的|是|没有|沒有|いいえ|はい|아니요|아뇨|네|예)(?:\b|(?=[\uff0c\u3002\u3001]))"
)
# What an answer ends on when it offers more rather than asks about the person.
_OFFER = re.compile(
    r"\b(?:want me to|shall i|should i|would you like|do you want|let me know|i can|happy to|need me to)\b"
)
_GOES_ALONG_CUE = next(cue for cue in ACCEPTANCE_CUES if cue.name == "goes-along")
_REDO = next(cue for cue in PUSHBACK_CUES if cue.name == "redo")
_OFFERS_RETRY = re.compile(
    r"(?:want me to|should i|shall i|i can|happy to) (?:\w+ ){0,3}(?:re-?run|retry|try (?:it )?again|run (?:it|them) again)\b"
)
# "doesn't that need the product rule?", "isn't it 24 days?", "Хіба не 24 календарні дні?": a negative question
# objects, and a revision that opens by saying yes to it concedes ("Yes – it is a product, so ...").
_NEGATIVE_QUESTION = re.compile(
    r"\W*(?:(?:but|so|and|wait|hmm+|hm|um+|بس|لكن|ولكن)\W+)?(?:(?:doesn't|don't|isn't|aren't|wasn't|weren't|shouldn't|wouldn't"
    r"|won't|can't|couldn't|didn't|hasn't|haven't|needn't|doesnt|dont|isnt|arent|wasnt|shouldnt|wouldnt|cant|didnt)\b"
    r"|хіба|разве|чи не\b|а не\b|n'est-ce pas|ce n'est pas|c'est pas\b|no (?:es|era|debería|deberia|hace falta)\b"
    r"|n[ãa]o (?:é|e|era|seria|deveria|d[áa]|daria|fica|ficaria)\b|أليس|أليست"
    # Swahili asks "isn't it 13,500?" as "si ni 13,500?".
    r"|si ni\b"
    # German puts the verb first: "Läuft das nicht einfach weiter, wenn ...?", "Braucht man nicht ...?"
    r"|[a-zäöüß]+ (?:das|es|man|der|die|dies|sie|er) (?:\w+ )?(?:nicht|kein\w*)\b[^.!?]*\?"
    # Greek asks with a semicolon: "δεν μετράει και η ατμόσφαιρα;" ("doesn't the atmosphere count too?").
    r"|δεν\b[^.!?;]*[;?])"
)
_CLAUSE_END = re.compile(r"[.?!,:;،؛]")
# Chinese objects in the middle of a sentence: "是不是要除以 n-1 啊" ("shouldn't it be divided by n-1?"), "不是应该",
# "难道".
_CJK_NEGATIVE = ("是不是", "不是应该", "不是應該", "难道", "難道")
# What every negative question above holds: looked for first, in one pass each, before any clause is matched.
_NEGATIVE_HINTS = (
    "n't",
    "nt ",
    "nicht",
    "kein",
    "хіба",
    "разве",
    "не ",
    "n'est",
    "c'est pas",
    "no ",
    "não",
    "أليس",
    "δεν",
    "nao ",
    "si ni",
)
_SAYS_YES = re.compile(
    r"\W*(?:yes|yeah|yep|yup|ja|jawohl|oui|sí|si|sim|sì|так|да|tak|evet|ano|はい|是的|对|對|네|ναι|ndiyo|iya|vâng"
    r"|כן|نعم|بله|हाँ|हां|হ্যাঁ|kyllä|igen)\b"
)
_CONCEDING = next(cue for cue in REVISION_CUES if cue.name == "chosen-revises")
_DEFENDS = next(cue for cue in REVISION_CUES if cue.name == "chosen-defends")
_DEFENDS_TAIL = CueScanner((_DEFENDS,))
# "That's wrong, it's 4/6", "are you sure?": a user who only disagrees gets a concession when the assistant
# revises ("You're right", "Sorry", "Yes, it does"). A revision that concedes nothing keeps its first answer
# with more reasons, and holds no preference. A reply that reports what happened (an error, "still failing",
# "doesn't compile") needs no concession: the revision often starts with the diagnosis.
_DISAGREES = frozenset(
    cue for cue in PUSHBACK_CUES if cue.name in ("correction", "opens-with-no", "counter-claim")
)
# Doubt is disagreement too; worry ("I'm nervous about running it in business hours") is not.
_DOUBTS = re.compile(
    r"are you (?:sure|certain)|bist du (?:dir )?sicher|(?:es-tu|êtes-vous|t'es|tu es) s[ûu]r|estás segur|tem certeza"
    r"|sei sicur|本当に|确定吗|你确定"
)
# Replies that say more than "you are wrong" need no concession: what happened or would happen (an error,
# "still failing", "won't scale", "blocks when the broker is down"), a constraint of the user's setting, the
# request restated ("I asked about RQ"), or a request to fix it.
_OBSERVED = frozenset(cue for cue in PUSHBACK_CUES if cue.name in ("failure", "still-broken", "constraint"))
_OBSERVATION = re.compile(
    r"(?:n't|(?:do|does|did|is|are|was|were|wo|ca|could|would|should)nt|not|never) (?:\w+ )?(?:work|compile|run|build|match|load|start|help|show|scale)|not working"
    r"|marche pas|ne (?:marche|fonctionne)|nicht (?:funktioniert|geht|läuft)"
    r"|(?:funktioniert|geht|läuft|klappt) nicht|no (?:funciona|compila|sirve)|returns?\b|prints?\b"
    r"|outputs?\b|gives? me\b|i get\b|i got\b|shows?\b|says\b|rejects?\b|accepts?\b|ignores?\b|skips?\b|misses\b"
    r"|(?:came|comes) out\b|stopped (?:\w+ing)\b|nothing (?:\w+s)\b|(?:fail|crash|break|throw|error|block|hang|lose|drop|leak)"
    r"(?:s|ed|es)?\b|broke\b|threw\b|lost\b|times? out\b|\b(?:cae|falla|recibe)\b"
    r"|i (?:asked|said|meant|wanted)\b|not what i\b|(?:please|bitte|por favor|s'il te plaît) (?:fix|correct|korrigier|corrig)"
    r"|does nothing|(?:has|had|have) no effect|changes nothing|fix (?:it|this|that|the)\b|korrigier|corrige[zr]?\b|corrígel|\b(?:must|ha(?:s|ve) to|needs? to|muss|doit|debe|tiene que)\b"
)
_NO_CONCESSION = -2.5
# The person granting the revision's point in their next message ("oh lol you're right, i misread the diff", "ok
# that makes sense, he's a car guy not a lawyer"): the revision explained, and the pushback was theirs to drop.
_GRANTED = -5.0
_GRANTS = re.compile(
    r"\A\W*(?:(?:oh|ah|ahh|ahh?a|ok|okay|lol|haha|hm+|right|yeah|true)\W+){0,3}"
    r"(?:you'?re (?:absolutely |totally |100% )?right|you are (?:absolutely )?right|i stand corrected|i was wrong"
    r"|i misread|i misunderstood|my (?:bad|mistake)|that makes sense|makes sense,? (?:then|thanks|he'?s|she'?s|i was)"
    r"|tienes razón|tiene razón|du hast recht|sie haben recht|tu as raison|vous avez raison|hai ragione"
    r"|você tem razão|tem razão|ты прав|вы правы|haklısın|masz rację|je hebt gelijk|你说得对|你說得對|我看错了"
    r"|我看錯了|確かに|おっしゃる通り|그렇네요|맞네요|맞아요)"
)

# The opening of a revision that grants a question's point ("Yes, it does", "You're right", "Good catch").
_CONCEDES = re.compile(
    r"(?:yes|yeah|ja|oui|sí|sim)\b,? (?:it|that|you)\b(?! (?:does|do|is|was|would|should) not\b)"
    r"|you're (?:absolutely )?(?:right|correct)|(?:right|true|correct|indeed|oops|sorry|my (?:mistake|bad|error)"
    r"|good (?:catch|point)|fair point|stimmt|richtig|du hast recht|(?:tu as|vous avez) raison|exact"
    r"|(?:tienes|tiene) (?:toda la )?razón|cierto|verdad|(?:você )?tem (?:toda a )?razão|hai ragione"
    # "Yes, the adjuster is right, and I got that wrong", and "you're right" in more languages.
    r"|(?:yes|yeah|ja|oui|sí|sim)\b,? (?:the |your |that )?(?:\w+ ){0,2}(?:is|was|are|were) (?:right|correct)"
    r"|вы правы|ви праві|ти прав|haklısınız|haklısın|masz rację|máte pravdu|έχετε δίκιο|צודק|anda benar"
    r"|bạn nói đúng|olet oikeassa|du har rätt|je hebt gelijk|u hebt gelijk|fair enough"
    # Undoing the step the question was about ("why did you touch package.json" "Reverted it").
    r"|reverted|undid|rolled (?:it |that |this )?back|backed (?:it |that |this )?out"
    # Handing over a corrected version ("Here is a corrected version: ...") takes the question as an objection.
    r"|here(?:'s| is) (?:a |the )?(?:corrected|fixed|revised|working)"
    r"|your (?:\w+ ){0,2}(?:is|was|are) (?:right|correct))\b"
    # Chinese and Japanese run on without a space, so no word boundary follows ("その通りです"); "对" ("right")
    # only before punctuation, not as the start of "对于" ("as for").
    r"|抱歉|没错|確かに|その通り|おっしゃる(?:とおり|通り)|ご指摘|[对對](?=[\uff0c,\u3002\uff01!]|$)"
)


_PARTLY = re.compile(
    r"(?:you're|you are) (?:absolutely |partly |partially )?(?:right|correct) (?:that|about)\b"
)


def _normalize(text: str) -> str:
    text = text.strip()
    if len(text) > _HEAD + _TAIL:
        text = f"{text[:_HEAD]}\n{text[-_TAIL:]}"
    return text.lower().replace("\u2019", "'").replace("\uff1f", "?").replace("\u061f", "?")  # and Arabic's


def _prepare(text: str) -> str:
    """A normalized text as the scanners want it: a space before every word. Dashes, arrows, bullets and emoji,
    which no cue holds, become spaces, so an English text that has them is scanned as the ASCII text it is (the
    scanners try the patterns of other scripts only in a text that is not)."""
    for separator in _SEPARATORS:
        text = text.replace(separator, " ")
    if not text.isascii():
        text = _SYMBOLS.sub(" ", text)
    return f" {text}"


def _split_reply(reply: str) -> tuple[str, str, bool]:
    """(the user's own words, code blocks, whether a long paste was set aside) of a raw reply.

    Cue words inside a pasted chapter, prompt or log say nothing about the answer: only the paragraph the
    user wrote around a long paste counts, and quoted lines ("> ...") never do.
    """
    code = ""
    if "![" in reply:
        # An image the person attached, as exporters write it (`![Uploaded image](https://...)`): not their words, and
        # a reply that opens with one still opens with what follows it ("No, it's not the login ...").
        reply = _IMAGE_LINK.sub(" ", reply)
    if "```" in reply:
        code = " ".join(_FENCE.findall(reply[: _HEAD * 2]))
        reply = _FENCE.sub(" ", reply)
    if ">" in reply:
        reply = _QUOTE_LINE.sub(" ", reply)
    reply = reply.strip()
    pasted = len(reply) > _PASTE_CHARS
    if pasted:
        # A short paragraph after the paste that points back at it is the user's too ("See the testing errors
        # above. Fix the code ...", what a real harness writes under the test log it pastes back); the end of a
        # pasted document is not.
        head, _, rest = reply.partition("\n\n")
        last = rest.rpartition("\n\n")[2].strip()
        points_back = len(last) <= _OWN_TAIL and _POINTS_BACK.search(last) is not None
        reply = f"{head[:_OWN_HEAD]}\n\n{last}" if points_back else head[:_OWN_HEAD]
        # Pointed back at, the paste is the evidence the person asks about (a test run's failures), not new material.
        pasted = not points_back
    return reply, code, pasted


def _is_clarifying(text: str) -> bool:
    """A short reply (lower-cased) that mostly asks for context instead of answering."""
    if len(text) > 900 or "?" not in text or "```" in text:
        return False
    if _CONCEDES.match(text) is not None:
        return False  # "You're right — the link is wrong. Here's the right one: ... Want a service for it?"
    ends = list(_SENTENCE_END.finditer(text))
    if sum(end[0] == "?" for end in ends) * 2 >= len(ends):
        return True
    # An opener counts in the first two sentences, where a question opens ("Happy to help. To give you a
    # number: how many ..."), not in a heading further down an answer ("## Tips to make it count").
    opening = ends[1].end() if len(ends) > 1 else len(text)
    if _CLARIFY_OPENERS.search(text, 0, opening) is not None:
        return True
    # A short answer that ends by asking about the person ("I see, thank you. Now, your lifestyle: do you smoke?", an
    # intake's next question), not offering more or asking whether it helped: the reply answers it.
    if len(text) > _ASKS_ABOUT_YOU_CHARS or not text.rstrip(" *_)").endswith("?"):
        return False
    last = ends[-2].end() if len(ends) > 1 else 0
    return _ASKS_ABOUT_YOU.search(text, last) is not None and _OFFER.search(text, last) is None


def _overlap(a: str, b: str) -> float:
    """Jaccard overlap of the word sets (what `_WORD` matches) of two texts: 1.0 means the same words."""
    return _jaccard(_words(a), _words(b))


def _words(text: str) -> set[bytes]:
    r"""What `_WORD` matches in a text, as UTF-8 bytes. The text is split at the ASCII bytes `\w` does not
    match, at a fraction of the regex's cost; only the words holding other characters (an accented letter,
    a dash or a quote mark glued to a word, a run of Chinese) go through the regex, and `\w` runs never
    cross those split points, so the set is the regex's own."""
    if text.isascii():
        return set(text.encode().translate(_NON_WORD_TO_SPACE).split())
    words = set(text.encode().translate(_ASCII_NON_WORD_TO_SPACE).split())
    mixed = [word for word in words if not word.isascii()]
    words.difference_update(mixed)
    for word in mixed:
        words.update(found.encode() for found in _WORD.findall(word.decode()))
    return words


def _code_words(code: str) -> set[bytes]:
    """The word set of code, as UTF-8 bytes. Code often repeats lines; a repeated line is scanned once (no
    word spans a line break, so the set is the same)."""
    lines = code.splitlines()
    distinct = set(lines)
    if len(distinct) * 4 <= len(lines) * 3:
        code = "\n".join(distinct)
    return _words(code)


def _jaccard(words_a: AbstractSet[object], words_b: AbstractSet[object]) -> float:
    return len(words_a & words_b) / len(words_a | words_b) if words_a and words_b else 0.0


def _score(
    answer: str,
    raw_reply: str,
    revision: str,
    *,
    revision_acts: bool = False,
    after: str | None = None,
    prompt: str | None = None,
    statement: float = _STATES_PROBLEM,
) -> tuple[float, tuple[str, ...]]:
    """Sum the log-odds of what fires in the reply and the revision around it, squashed to 0..1.

    `answer` and `revision` are normalized; `raw_reply` is the reply as written (its code blocks, quotes
    and pastes are told apart before normalizing); `prompt` is the person's message the answer answered, and
    `after` their message after the revision, if any.
    """
    if not raw_reply.isascii() and _GREEK.search(raw_reply) is not None:
        raw_reply = _GREEK_QUESTION.sub("?", raw_reply)  # Greek asks with ";" ("Τι εννοείς ...;")
    own, code, pasted = _split_reply(raw_reply)
    reply = _normalize(own)
    z, signals = (_BIAS + _PASTED, ["long-paste"]) if pasted else (_BIAS, [])
    scanned = _prepare(reply)
    pushback, acceptance = _PUSHBACK.hits(scanned), _ACCEPTANCE.hits(scanned)
    if (action := _ROLEPLAY.match(raw_reply)) is not None and _NOT_ACTION.search(action.group(1)) is None:
        # A role-play's next move (`*slams my tankard on the table* you're wrong, Silas!`): what the characters
        # say is the story, not a verdict on the answer.
        pushback.clear()
        acceptance[_GOES_ALONG_CUE] = 1
        z += _IN_STORY
        signals.append("role-play")
    elif (
        not (pushback or acceptance)
        and len(reply) <= _COMMA_NOT_CHARS
        and _COMMA_NOT.search(reply) is not None
    ):
        # "we read law o, not engineering", "Net 30, not net 60": what is right, set against what the answer said.
        pushback[_CORRECTION] = 1
    stated = None  # the right number the reply sets against the answer's ("15% not 20%", "its 21")
    if _WRONG_OUTPUT not in pushback:
        right_number = _NUMBER_NOT.search(reply) if " not " in reply else None
        stated = right_number.group(1) if right_number else _other_number(reply, answer)
        if stated is not None:
            pushback[_WRONG_OUTPUT] = 1
    if _REDO in pushback and len(pushback) == 1 and _OFFERS_RETRY.search(answer, max(len(answer) - 300, 0)):
        # "Want me to rerun just the failed test?" "try again": the offer taken, not a redo of a wrong answer.
        del pushback[_REDO]
        acceptance[_GOES_ALONG_CUE] = 1
    if _CHANGES_PLAN in acceptance or (
        _GOES_ALONG.intersection(acceptance) and pushback.keys() <= _FOLLOWS_PLAN
    ):
        # "we decided to go to kyoto instead, can you redo it": the redo follows from the new plan. "cool. make it
        # read the urls from a file instead": after going along, "instead" asks for more, not for a fix.
        for cue in _FOLLOWS_PLAN:
            pushback.pop(cue, None)
    # "I implemented the new reward function.": done as the answer said, and nothing wrong said with it.
    applied_only = _APPLIED_IT in pushback and _NEGATED.search(reply) is None
    if (
        prompt
        and len(raw_reply) <= _STATEMENT_CHARS
        and _OWN_MISTAKE not in acceptance
        and _renames_own_word(prompt, raw_reply)
    ):
        acceptance[_OWN_MISTAKE] = 1
    if _OWN_MISTAKE in acceptance:
        for cue in _FOLLOWS_OWN_MISTAKE:
            pushback.pop(cue, None)
    if pushback and acceptance and _ACCEPTS_THEN_ASKS.match(reply) is not None:
        pushback.clear()
    if "#" in reply and _FAILURE not in pushback and _SHEET_ERROR.search(reply) is not None:
        pushback[_FAILURE] = 1
    if (
        _OPENS_WITH_NO in pushback
        and _ASKS_ABOUT_PERSON.search(answer, max(len(answer) - 300, 0)) is not None
    ):
        del pushback[_OPENS_WITH_NO]
        acceptance[_GOES_ALONG_CUE] = 1
    for cue, count in (pushback | acceptance).items():
        z += cue.weight * (_REPEAT_BONUS if count > 1 and cue.weight > 0 else 1.0)
        signals.append(cue.name)
    if code and _FAILURE not in pushback and _FAILURE in _PUSHBACK.hits(_prepare(_normalize(code))):
        z += _FAILURE.weight * _CODE_WEIGHT
        signals.append("code-failure")
    if any(quote.strip() in answer for quote in _QUOTED.findall(reply)):
        z += _QUOTES_ANSWER
        signals.append("quotes-answer")
    asks_input = (
        len(answer) <= _STATEMENT_CHARS and "```" not in answer and _ASKS_FOR_INPUT.search(answer) is not None
    )
    if asks_input:
        z += _ASKS_INPUT
        signals.append("rejected-asks-for-input")
    answer_asks = asks_input or _is_clarifying(answer)
    strong = any(cue.weight >= _STRONG for cue in pushback)
    # A question written without its mark ("what are the best use cases for it") asks; a reply that opens by
    # asking for new work ("Create a provider like this:", "Part 2: add two methods") states no problem.
    # A long reply is read by its cues; its last clause decides only for the short ones.
    clause = _last_clause(reply) if len(reply) <= _STATEMENT_CHARS else 0
    unmarked_question = "?" not in reply and (
        _QUESTION_OPENER.match(reply) is not None
        or _ASKS_IF_ONE_CAN.match(reply) is not None
        or (clause > 0 and _CLAUSE_QUESTION.match(reply, clause) is not None)
        or _unmarked_question(reply)
    )
    new_work = (
        (_NEW_WORK.match(reply) is not None and _CURRENT_STATE.search(reply) is None)
        or (clause > 0 and _ASKS_TO_WRITE.match(reply, clause) is not None)
        or _REQUEST_OPENER.match(reply) is not None
        or _REQUEST_END.search(reply, max(len(reply) - 16, 0)) is not None  # only the end can hold it
        or (raw_reply[:1] in "/ \t" and _COMMAND.match(raw_reply) is not None)
        or (len(raw_reply) <= _FILE_NAME_CHARS and _FILE_NAME.match(raw_reply) is not None)
    )
    if new_work and not strong:
        z += _ASKS_NEW_WORK
        signals.append("asks-new-work")
    if (
        "?" not in reply
        and not (pasted or acceptance or answer_asks or unmarked_question or new_work)
        and not any(cue.weight >= _STATES_PROBLEM for cue in pushback)
        and len(reply) <= _STATEMENT_CHARS
        # A reply that is only a code block states a problem when the block reads like an error (a trace, a failed
        # command); otherwise it is new material ("```\n<the next request, as an export fences it>\n```").
        and (reply or _ERROR_OUTPUT.search(code) is not None)
        # An emoji alone ("🤪", a real transcript) says nothing about the answer.
        and (not reply or any(character.isalnum() for character in reply))
        # "hay quá ạ 😍 viết tiếp đi bạn" ("so good, keep writing"): delight in any language is no problem stated.
        and _DELIGHT.search(reply) is None
        and not _names_topic(reply)
        and not applied_only
        and not _answers_question(answer, reply)
        and not _gives_what_was_asked(answer, reply)
    ):
        z += statement if pushback or _troubled(reply) else min(statement, _PLAIN_STATEMENT)
        signals.append("states-problem")
    revised = _REVISION.hits(_prepare(revision[:_REVISION_HEAD]))
    if _DEFENDS in revised and _CONCEDES.match(revision) and _PARTLY.match(revision) is None:
        # "You're right — my pattern assumed every domain has a dot, which isn't true for ...": after a concession
        # the defence's words are about the answer's own mistake ("You're right that ..., but" still defends).
        del revised[_DEFENDS]
    # A negative question ("isn't the capital Canberra?") that the revision concedes, or says yes to, was an
    # objection: it states a problem, and the yes concedes it.
    objected = (
        _SAYS_YES.match(revision) is not None or any(cue.weight > 0 for cue in revised)
    ) and _asks_negatively(reply)
    if objected:
        revised.setdefault(_CONCEDING, 1)
        z += _STATES_PROBLEM
        signals.append("objects")
    if (
        not revised
        and len(revision) > _REVISION_HEAD
        and (_DISAGREES.intersection(pushback) or _DOUBTS.search(reply))
        and _DEFENDS_TAIL.hits(_prepare(revision[-_REVISION_TAIL:]))
    ):
        revised[_DEFENDS] = 1
    # A question the revision concedes ("doesn't that need the product rule?" "Yes, it does") implied an error;
    # otherwise it asks for more.
    asks = ("?" in reply and reply.rstrip().endswith("?")) or unmarked_question
    # A question about a failure ("why does it crash when two workers start?", "doesn't this deadlock ...?") implies
    # an error in the answer, as a statement of it does.
    failing = _FAILURE in pushback and not (acceptance or pasted or new_work)
    if "?" in reply and failing and len(reply) <= _STATEMENT_CHARS:
        z += _STATES_PROBLEM
        signals.append("asks-about-failure")
    elif asks and not strong and not objected and not _CONCEDES.match(revision):
        z += _ASKS
        signals.append("asks")
    if new_work and not strong:
        # "add a detection line, pagerduty fired at 14:12" "Added ...": doing the work asked for concedes nothing.
        revised = {cue: count for cue, count in revised.items() if cue.weight < 0}
    for cue in revised:
        z += cue.weight
        signals.append(cue.name)
    # A revision that opens with the deliverable itself (a heading, a bold title, code) is a new version, not a
    # defence: assistants often redo the work after "nope. no puns" without a word of concession.
    redone = revision.startswith(("#", "**", "```"))
    if (
        not revised
        and not redone
        and (_DISAGREES.intersection(pushback) or _DOUBTS.search(reply))
        and not _OBSERVED.intersection(pushback)
        and "code-failure" not in signals
        and not _OBSERVATION.search(reply)
    ):
        z += _NO_CONCESSION
        signals.append("chosen-concedes-nothing")
    if after is not None and (
        _GRANTS.match(after[:200].lower()) is not None
        or _OWN_MISTAKE in _ACCEPTANCE.hits(_prepare(_normalize(after[:300])))
    ):
        z += _GRANTED
        signals.append("person-grants-revision")
    if len(revision) >= 1.3 * len(answer):
        z += _EXPANDS
        signals.append("chosen-expands")
    elif len(revision) < min(300, 0.25 * len(answer)) and not revision_acts:
        # A one-liner rarely revises an answer; an agent's one line before its edits ("Let me modify the file:")
        # does, in the tool calls the words leave out.
        z += _TOO_SHORT
        signals.append("chosen-too-short")
    new_code = False
    # After "works, thanks", new code answers a new request. Only a fence that opens a line is code: "saved as
    # ```python blocks" in a sentence is not.
    if "```" in revision and not acceptance and _FENCE_OPENS_LINE.search(revision) is not None:
        code = " ".join(_FENCE.findall(revision))
        new_code = (
            "```" not in answer
            or _jaccard(_code_words(" ".join(_FENCE.findall(answer))), _code_words(code)) < 0.5
        )
        if new_code:
            z += _NEW_CODE
            signals.append("chosen-new-code")
    elif (
        "```" in answer
        and "```" not in revision
        and len(revision) < 1.3 * len(answer)
        and not any(c.weight > 0 for c in revised)
        and not revision_acts  # its code went into the files it edits, not into its words
    ):
        z += _DROPS_CODE
        signals.append("chosen-drops-code")
    elif (
        z >= _STORED_Z
        and _overlap(answer[:1500], revision[:1500]) > 0.5
        and not (
            # A number set right: the revision is the answer again with the right number in it.
            stated is not None and stated.rstrip(".,") in revision
        )
    ):
        z += _RESTATES
        signals.append("chosen-restates")
    # Only lowering terms are left (and the restatement above, the costliest check, was one): a pair already under
    # the stored floor is dropped whatever they add, so they are not worked out for it.
    if z < _STORED_Z:
        return 1.0 / (1.0 + math.exp(-z)), tuple(signals)
    for name, asks in (
        ("rejected-is-question", answer_asks),
        ("chosen-is-question", _is_clarifying(revision)),
    ):
        if asks:
            z += _IS_QUESTION
            signals.append(name)
    return 1.0 / (1.0 + math.exp(-z)), tuple(signals)


def _answers_question(answer: str, reply: str) -> bool:
    """Whether a reply that opens with a yes or a no answers the question the answer ended on ("Is the greenhouse
    heated?" "Nej, det er uopvarmet."), not an offer ("Want me to add tests?" "no, it has to stay short"); or
    whether a reply of a few words picks among what the answer's last question offered ("Which area interests you
    most (web, AI, data)?" "ai")."""
    if _YES_OR_NO.match(reply) is None:
        return _picks_from_question(answer, reply)
    tail = answer.rstrip(" *_)")
    if not tail.endswith(("?", "\uff1f")):
        return False
    return _OFFER.search(tail, max(len(tail) - 160, 0)) is None


_GIVEN_CHARS = 120
_QUESTION_SENTENCE = re.compile(r"[^.!?\n]*\?")
_LONG_WORD = re.compile(r"[^\W\d_][\w-]{3,}")
_COMMON_WORDS = frozenset(
    (
        "that",
        "this",
        "with",
        "what",
        "which",
        "there",
        "have",
        "does",
        "your",
        "they",
        "them",
        "then",
        "from",
        "would",
    )
)


# A name the reply sets right ("DebuggerStepBoundaryではなく、DebuggerStepperBoundaryでした", "not fooBar but
# foo_bar", "I meant X, not Y"): an identifier, a word with a capital, a digit, an underscore or a dot inside it.
_NAME = r"`?([A-Za-z][\w.]*[A-Z0-9_.][\w.]*)`?"
_NOT_NAME = re.compile(rf"(?:\bnot|\binstead of|不是)\s*{_NAME}")
_NAME_NOT = re.compile(rf"{_NAME}\s*(?:ではなく|じゃなくて|じゃなく|而不是|이 아니라|가 아니라)")
_NAME_NOT_MARKS = ("ではなく", "じゃなく", "而不是", "아니라")


def _renames_own_word(prompt: str, reply: str) -> bool:
    """Whether the reply sets right a name the person wrote in their own message: their slip, not the answer's."""
    found: list[re.Match[str]] = []
    if "not" in reply or "instead" in reply or "不是" in reply:
        found.extend(_NOT_NAME.finditer(reply))
    if any(mark in reply for mark in _NAME_NOT_MARKS):
        found.extend(_NAME_NOT.finditer(reply))
    for match in found:
        name = match.group(1)
        if len(name) >= 5 and not name.replace(".", "").isdigit() and name in prompt:
            return True
    return False


def _names_topic(reply: str) -> bool:
    """A reply of one bare word that says nothing about a failure: a topic or a command ("storage", "skills")."""
    bare = _BARE_WORD.fullmatch(reply)
    return bare is not None and bare.group(1).lower() not in _STILL_WORDS


def _gives_what_was_asked(answer: str, reply: str) -> bool:
    """Whether a short reply with no question of its own gives what the answer asked for in its questions ("1. Which
    ingress controller runs in the cluster ...? 2. Is there already a ClusterIssuer ...?" "ingress-nginx 1.9,
    clusterissuer is letsencrypt-prod"): two of its words come from those questions."""
    if len(reply) > _GIVEN_CHARS or "?" in reply or "?" not in answer:
        return False
    given = set(_LONG_WORD.findall(reply)) - _COMMON_WORDS
    if len(given) < 2:
        return False
    asked = {word for question in _QUESTION_SENTENCE.findall(answer) for word in _LONG_WORD.findall(question)}
    return len(given & asked) >= 2


# A closing question that offers alternatives ("... or ...?"), and the most words of a reply taking one up.
_ALTERNATIVES = re.compile(
    r"\b(?:or|ou|o|oder|ou prefere|или|albo|of)\b|还是|或者|還是|または|それとも|아니면"
)
_OPTION_WORDS = 20


def _picks_from_question(answer: str, reply: str) -> bool:
    """A reply of at most three words, every one of them a word of the answer's closing question (its last 300
    characters, holding a question mark); or a longer one that takes up an option of a closing question offering
    alternatives in that option's words ("...keep it linked to the project, or extract all the content?" "quero
    extrair todo o conteudo, tudo": three words in a row of the question, accents aside)."""
    words = _WORD.findall(reply)
    if not words:
        return False
    tail = answer[-300:]
    if "?" not in tail and "\uff1f" not in tail:
        return False
    if len(words) <= 3 and len(reply) <= 40:
        asked = set(_WORD.findall(tail))
        return all(word in asked for word in words)
    if len(words) > _OPTION_WORDS or _ALTERNATIVES.search(tail) is None:
        return False
    asked_words = _WORD.findall(_unaccented(tail))
    runs = {tuple(asked_words[at : at + 3]) for at in range(len(asked_words) - 2)}
    words = _WORD.findall(_unaccented(reply))
    return any(tuple(words[at : at + 3]) in runs for at in range(len(words) - 2))


def _unaccented(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _asks_negatively(reply: str) -> bool:
    """Whether a clause of the reply opens with a negative question (matched at each clause's start, not searched
    at every character)."""
    if not reply.isascii() and any(word in reply for word in _CJK_NEGATIVE):
        return True
    if not any(hint in reply for hint in _NEGATIVE_HINTS):
        return False
    if _NEGATIVE_QUESTION.match(reply) is not None:
        return True
    return any(_NEGATIVE_QUESTION.match(reply, end.end()) is not None for end in _CLAUSE_END.finditer(reply))


def _last_clause(reply: str) -> int:
    """Where the reply's last clause starts ("orgo on thursday. do you ever get tired", "kicked it off. meanwhile: how
    do I stop ..."): after its last sentence mark or colon, or 0."""
    end = len(reply.rstrip()) - 1
    at = max(
        reply.rfind(". ", 0, end),
        reply.rfind("! ", 0, end),
        reply.rfind(": ", 0, end),
        reply.rfind("\n", 0, end),
    )
    return at + 1 if at >= 0 else 0


def _unmarked_question(reply: str) -> bool:
    if _QUESTION_PARTICLE.search(reply, max(len(reply) - 24, 0)) is not None:  # only the end can hold it
        return True
    if len(reply) <= _ASKED_CHARS and _ASKED.match(reply) is not None:
        return True
    if _ASKS_WHY.search(reply) is not None:
        return True
    return ("不" in reply or "没" in reply or "沒" in reply) and _A_NOT_A.search(reply) is not None


def _other_number(reply: str, answer: str) -> str | None:
    """ "slide 2 says revenue up 12%. its 21": the number the reply ends on, when the answer does not hold it and
    the reply quoted one the answer does; else None."""
    if not reply.rstrip(" .!%)").endswith(_DIGITS):
        return None
    stated = _NUMBER_IS.search(reply, max(len(reply) - 40, 0))  # only the end can hold it
    if stated is None:
        return None
    given = {number.rstrip(".,") for number in _NUMBER.findall(answer)}
    quoted = {number.rstrip(".,") for number in _NUMBER.findall(reply, 0, stated.start())}
    number = stated.group(1).rstrip(".,")
    return number if number not in given and not quoted.isdisjoint(given) else None


def _runs(turns: Sequence[tuple[str, str]]) -> list[tuple[str, int, int, str]]:
    """Merge consecutive same-role turns into (role, first index, last index, joined text); skip others.

    An answer without words (only tool calls, which the person rejected, or an answer lost) is a break: the
    person's turns on either side of it are not one reply, and no pair reaches across it."""
    runs: list[tuple[str, int, int, str]] = []
    for index, (role, text) in enumerate(turns):
        if role == "assistant" and not text.strip():
            runs.append(("gap", index, index, ""))
            continue
        if role not in ("user", "assistant") or not text.strip():
            continue
        if role == "assistant" and runs and runs[-1][0] == "gap":
            runs.pop()  # the next answer follows at once: nothing was left unanswered
        if runs and runs[-1][0] == role:
            _, first, _, joined = runs[-1]
            runs[-1] = (role, first, index, f"{joined}\n\n{text}")
        else:
            runs.append((role, index, index, text))
    return runs


def detect_pairs(
    turns: Sequence[tuple[str, str]], *, acting: AbstractSet[int] = frozenset()
) -> list[DetectedPair]:
    """Score every (answer, user reply, next answer); return those scoring at least MIN_STORED_SCORE.

    Several user turns in a row are read as one reply; the pushback is the first of them. `acting` holds the
    indices of answers that call tools (an agent's edits and commands, which their words do not show). The
    rules score each triple; those they store are scored again by the text model (app.pairs.text_model) and
    the pair's score is the mean of the two.
    """
    model = text_model()
    pairs = []
    for pair, reply, revision, answer in _scored_by_rules(turns, acting=acting):
        probability = model.probability(reply, revision, answer)
        score = mean_score(pair.score, probability)
        if "rejected-is-question" in pair.signals:
            # The model does not read the answer before the reply: when that answer only asked (which queue, how
            # many), a reply that answers it states facts the model takes for a correction. It may lower the
            # rules' score there, never raise it (on the labelled batches this changes no verdict).
            score = min(score, pair.score)
        if score >= MIN_STORED_SCORE:
            # What the model read, as a signal: shown with the pair, and a feature of the reviewers' scorer
            # (app.pairs.learning), which replaces this score once fitted.
            signals = (*pair.signals, "model-agrees" if probability >= 0.5 else "model-doubts")
            pairs.append(DetectedPair(pair.rejected, pair.pushback, pair.chosen, round(score, 3), signals))
    return pairs


def rules_pairs(
    turns: Sequence[tuple[str, str]], *, acting: AbstractSet[int] = frozenset()
) -> list[DetectedPair]:
    """The pairs the rules alone store, with the rules' score: what the text model is fitted beside
    (benchmarks/text_model.py), and what the rules' own tests read."""
    return [replace(pair, score=round(pair.score, 3)) for pair, *_ in _scored_by_rules(turns, acting=acting)]


def _scored_by_rules(
    turns: Sequence[tuple[str, str]], *, acting: AbstractSet[int]
) -> list[tuple[DetectedPair, str, str, str]]:
    """Each triple the rules score at least MIN_STORED_SCORE, with the texts the text model reads: the reply's,
    the revision's and the answer's."""
    runs = _runs(turns)
    scored: list[
        tuple[float, tuple[str, ...], tuple[int, int, int], tuple[str, str, str], dict[str, Any]]
    ] = []
    k = 0
    while k + 2 < len(runs):
        answer, reply, chosen = runs[k], runs[k + 1], runs[k + 2]
        if answer[0] != "assistant" or reply[0] != "user" or chosen[0] != "assistant":
            k += 1
            continue
        # A clarifying question is not the revision: the answer after the user's clarification is.
        detour = (
            k + 4 < len(runs)
            and _is_clarifying(chosen[3].lower())
            and runs[k + 3][0] == "user"
            and runs[k + 4][0] == "assistant"
        )
        if detour:
            chosen = runs[k + 4]
        if chosen[3].strip() == answer[3].strip():
            # The same question sent again and answered word for word the same (a real chat log): nothing was
            # revised, so no answer is preferred to the other.
            k += 4 if detour else 2
            continue
        acts = bool(acting) and any(index in acting for index in range(chosen[1], chosen[2] + 1))
        following = runs[k + 5 if detour else k + 3] if k + (5 if detour else 3) < len(runs) else None
        inputs: dict[str, Any] = {
            "answer": _normalize(answer[3]),
            "raw_reply": reply[3],
            "revision": _normalize(chosen[3]),
            "revision_acts": acts,
            "after": following[3] if following is not None and following[0] == "user" else None,
            "prompt": runs[k - 1][3] if k > 0 and runs[k - 1][0] == "user" else None,
        }
        score, signals = _score(**inputs)
        signals += ("clarified",) if detour else ()
        # The words of a revision that acts (an agent's edits and commands) are a preamble to what it did: the
        # text model, fitted on revisions in words, does not read them.
        texts = (reply[3], "" if acts else chosen[3], answer[3])
        scored.append((score, signals, (answer[2], reply[1], chosen[1]), texts, inputs))
        k += 4 if detour else 2  # after a detour, the question is not scored as an answer of its own
    bare = [i for i, (_, signals, *_) in enumerate(scored) if _bare_statement(signals)]
    if len(bare) >= _HABIT_MIN and 2 * len(bare) >= len(scored):
        for i in bare:
            _, signals, indices, texts, inputs = scored[i]
            score, rescored = _score(**inputs, statement=_HABIT_STATEMENT)
            clarified = ("clarified",) if "clarified" in signals else ()
            scored[i] = (score, (*rescored, *clarified, "states-habit"), indices, texts, inputs)
    return [
        (DetectedPair(*indices, score, signals), *texts)
        for score, signals, indices, texts, _ in scored
        if score >= MIN_STORED_SCORE
    ]


# The reply's own evidence of pushback: the cue families and what the scorer adds for quotes and failing code.
_REPLY_EVIDENCE = frozenset({cue.name for cue in PUSHBACK_CUES} | {"quotes-answer", "code-failure"})


def _troubled(reply: str) -> bool:
    """Whether a statement says something is wrong: a word of trouble, a number set against the answer's ("it's
    1997", "we are 12"), or nothing but a code block (the prior fires on one only when it reads like an error)."""
    return not reply or _TROUBLE_WORDS.search(reply) is not None or any(char.isdigit() for char in reply)


def _bare_statement(signals: tuple[str, ...]) -> bool:
    """Whether the reply earned the "states a problem" prior and nothing else against the answer."""
    return "states-problem" in signals and _REPLY_EVIDENCE.isdisjoint(signals)
