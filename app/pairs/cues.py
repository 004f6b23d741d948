# ruff: noqa: RUF001, RUF003 - cue words of many scripts (Greek, Cyrillic, full-width punctuation)
"""The detector's cue families (named, weighted patterns per language) and the one-pass scanner for them.

app.pairs.detection scores with them; app.pairs.learning names its features after them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Cue(NamedTuple):
    """Patterns that count as one signal, with a log-odds weight (negative: evidence against a pair).

    A pattern matches from a word start, in lower-cased text with straight apostrophes; "^" means the
    start of the text. Chinese, Japanese and Thai put no space between words, and Korean none before a particle: a
    pattern that opens with a Han, kana, Thai or Hangul character matches anywhere.
    """

    name: str
    weight: float
    patterns: tuple[str, ...]


# fmt: off
# English first, then German, French, Spanish. Ordered by weight: at one position the first family counts.
PUSHBACK_CUES = (
    Cue("correction", 2.6, (
        r"w(?<!what was w)rong\b", r"incorrect", r"not (?:right|correct|true|accurate)\b", r"mistaken?\b", r"not working\b",
        r"(?:doesn't|does not|didn't|did not|won't|will not) (?:\w+ )?(?:work|compile|run|build|scale)\b",
        r"(?:doesn't|does not|didn't|did not) help\b", r"not what i (?:asked|wanted|meant|need)",
        r"opposite of what\b", r"i don't think (?:so|that's)\b", r"(?:doesn't|does not|don't) exist\b",
        r"no such (?:method|function|option|flag|api|command)\b",
        r"(?:it|this|that) (?:fails|crashes|breaks|throws|errors)\b", r"that's not (?:what|how|true|it)\b",
        r"nothing (?:compiles|works|builds|runs|loads|renders|shows up)\b",
        r"stopped (?:working|compiling|rendering|showing|loading|responding|sticking)\b",
        r"(?:is|was) the (?:problem|culprit|cause)\b",
        r"(?:that's|this is|it's) (?:outdated|deprecated|obsolete)\b", r"i (?:said|meant|mentioned)\b",
        # "te dije directo", "je t'ai dit", "ich hab doch gesagt", "eu disse": what the person had said, repeated.
        r"(?:ya )?te (?:lo )?dije\b", r"je t'ai (?:dit|demandé)\b", r"ich hab(?:e)? (?:dir )?(?:doch )?(?:gesagt|geschrieben)\b",
        r"eu (?:te )?disse\b", r"^non pas\b(?! de\b)",
        r"i asked (?:for|about)\b",
        # "its ma'am not sir", "it's 2023 not 2022"; "No, I mean by Goldbach's conjecture!".
        # "ok that's fixed. but now ~2k customers with no email are gone": what the answer broke.
        r"but now (?:[^.!?\n]{0,60} )?(?:gone|missing|disappeared|lost|empty)\b",
        r"it'?s [\w']+,? not (?!only\b|just\b|that\b|about\b|so\b|too\b|very\b|really\b|sure\b|bad\b|a big\b|a problem\b)[\w']+",
        r"^no\W+i mean\b", r"(?:أنا|انا) (?:قلت|كتبت)", r"قلت لك",
        # "the leaflet says X. so which is it?": a source set against the answer, and the person asks which holds.
        r"so which (?:one )?is it\b", r"(?:afinal,? )?em que ficamos\b", r"en qu[eé] quedamos\b", r"jadi (?:gimana|bagaimana)\b",
        r"alors,? on fait comment\b", r"was (?:denn )?jetzt\b",
        # "did you just make that up??", "not quite what my manager had in mind".
        r"(?:did|do) you (?:just )?make (?:that|this|it|those|these|them) up\b", r"made (?:that|this|it|those) up\b",
        r"not (?:quite |exactly |really )?what (?:\w+ ){0,2}had in mind\b", r"not quite (?:right|it)\b",
        # "why you put 5? must be 7", "vc colocou 10.380", Darija "galt lik" ("I told you"), Swahili "sio hiyo".
        r"why (?:did )?you put\b", r"(?:vc|você) (?:colocou|pôs|botou)\b", r"(?:galt|golt) (?:lik|lek|lika)\b",
        r"wach ma9ritich\b", r"sio (?:hiyo|hii|hivyo|sawa|kweli)\b",
        # "did you even read my message?" (Québec "t'as-tu lu mon message?"), "I see it differently" (German "ich sehe
        # die Rollenverteilung allerdings anders").
        r"did you (?:even )?read my (?:message|question|prompt|post|request)\b",
        # "哈哈 你认真的？" ("are you serious?"), a sarcastic rejection.
        r"你(?:是)?[认認]真的", r"are you serious\b",
        # "What are you talking about? Why am i downloading ollama when i use llama.cpp" (a real Claude.ai export).
        r"what (?:are|r) (?:you|u) (?:even )?talking about\b",
        r"(?:as-tu|t'as-tu|t'as|avez-vous) (?:même |seulement )?lu mon (?:message|texte)\b",
        r"(?:leíste|has leído) mi (?:mensaje|pregunta)\b", r"hast du (?:meine )?(?:nachricht|frage) (?:überhaupt )?gelesen\b",
        r"i (?:see|read|view) (?:it|this|that) differently\b", r"sehe (?:das|es|die \w+) (?:allerdings |jedoch |aber )?anders\b",
        r"ich hab(?:e)? (?:doch |ja |dir |extra |explizit )*(?:geschrieben|gesagt)\b",
        r"j'ai (?:bien |pourtant )?(?:dit|précisé|écrit)\b", r"(?:te )?(?:dije|escribí)\b", r"eu (?:disse|falei|escrevi)\b",
        r"(?:you|u) (?:deleted|removed|dropped|commented out|disabled|broke|undid|reverted) (?:the|my|a|all|an)\b",
        r"galat\b", r"sahi nahi\b",
        r"falsch\b", r"stimmt (?:so |leider )?nicht\b", r"fehlerhaft", r"(?:ist|sind|war) (?:doch )?kein(?:e|en)? \w+,? sondern\b",
        r"nicht das,? was\b", r"(?:funktioniert|klappt|geht|läuft|passt|kompiliert)(?: \w+){0,2} nicht\b",
        r"faux\b", r"erron[ée]", r"ne (?:marche|fonctionne|compile)\w*(?: \w+)? pas\b", r"marche pas\b",
        r"pas ce que\b", r"(?:está|esta|es) mal\b", r"equivocad[oa]", r"no (?:funciona|compila|sirve)\b",
        r"no es lo que\b", r"errad[oa]\b", r"não (?:funciona|compila|é isso)\b", r"sbagliat", r"non funziona\b",
        r"^(?:不是这样|不是這樣|違う)",
        # Not "对不对" ("is this right?"), "没错了" ("right"), "我搞错了" / "私の間違い" (the user's own slip).
        r"不(?<!对不)(?<!對不)[对對]", r"错(?<!没错)(?<!沒错)了", r"錯(?<!沒錯)(?<!没錯)了", r"不正[确確]", r"有[误誤]",
        r"搞(?<!我搞)[错錯]", r"弄(?<!我弄)[错錯]", r"不是我(?:要|想要)的", r"違います", r"正しくない",
        r"間(?<!私の間)(?<!分の間)違", r"ではなく", r"じゃなくて", r"お伝えし(?:た|ていた|ました)", r"と申し上げ",
    )),
    Cue("omission", 2.0, (
        r"you (?:forgot|missed|ignored|overlooked|skipped|left out)\b", r"forgot(?:ten)?\b",
        r"you (?:didn't|did not|never) (?:\w+ )?(?:flag|catch|notice|include|handle|check|fix|change|update|test|use|read)\b",
        r"you left (?:\w+ ){1,3}out\b",
        # "why didnt you run the cli to get the tasks" (a real Cursor session): what the answer should have done.
        r"why (?:didn't|did not|haven't|have not|wouldn't you|did you not)\b(?: you\b)?",
        # "Why are you putting a comma every three numbers from the left?" (a real chat): what the answer did, asked
        # back as a complaint.
        r"why (?:are|were) you (?:\w+ ){0,2}(?:putting|adding|using|changing|removing|starting|counting|writing|making)\b",
        r"why did you (?:add|put|use|change|remove|start|count|write|make|delete|drop)\b",
        # "why did you touch package.json" (an agent's edit the person did not ask for).
        r"why did you (?:touch|modify|edit|rename|move|install|bump|upgrade|downgrade|revert|rewrite|disable|skip)\b",
        r"(?:didn't|doesn't|does not|did not|never) (?:\w+ )?(?:mention|address|cover|consider|answer)",
        r"no mention of\b", r"nothing (?:about|on)\b", r"without (?:comparing|explaining|justifying)\b",
        r"what about (?:the )?(?:trade-?offs?|edge cases|failures?|downsides)",
        r"what about (?:security|performance|testing|costs?)\b", r"vergessen\b", r"übersehen\b",
        # "ok... so where does the gst go then": what was asked for is not in the answer.
        r"where (?:does|do|did) (?:the |my |our |that |this )?[\w-]+ (?:go|come in|fit in)\b",
        r"ignoriert\b", r"nicht (?:erwähnt|berücksichtigt|beachtet)\b", r"oubli[ée]", r"ignoré",
        r"il manque\b", r"olvid(?:aste|ó|ado)\b", r"ignoraste\b", r"faltou\b", r"esqueceu\b",
        r"漏(?<!我漏)了", r"没有考虑", r"沒有考慮", r"忘れて(?:る|います|いる)", r"抜けて(?:る|います|いる)",
    )),
    # What came out is wrong: "the total is off by 40", "numbers are way off", "the oxygens don't balance", "the
    # page is blank".
    Cue("wrong-output", 1.8, (
        r"off by\b", r"(?:does|did|do) (?:absolutely |literally |just |still )?nothing\b", r"(?:is|are|looks?|seems?|still) (?:way |totally |completely |all |a bit |slightly )?off\b",
        r"(?:way|totally|completely) off\b", r"(?:that|it|this|they)'(?:s|re) off\b", r"(?:is|are) missing\b",
        r"(?:looks?|looked|seems?|came out|comes out|turned out|ended up) (?:way |too |really |very |super |much )?"
        r"(?:low|high|thin|thick|short|small|big|weird|bland|dry|salty|blurry)\b",
        r"(?:doesn't|does not|don't|do not|didn't|did not) (?:add up|balance|match|line up|sum up|total)\b",
        r"(?:is|are|comes?|shows?|renders?|stays?) (?:up |out )?(?:completely |totally |still |just )?(?:blank|empty)\b",
        r"(?:is|are|it's|that's|way|much|still|far) too (?:long|short|high|low|big|small|formal|stiff|robotic|wordy"
        r"|cheesy|cringe|cringey|salesy|corporate|flowery|dramatic|fake|casual|informal|aggressive|harsh|pushy|blunt|rude"
        r"|threatening|apologetic|defensive|vague|generic)\b",
        # The same in other languages: "Teil 1 ist zu kurz" (a real German chat), "trop long", "demasiado formal".
        r"(?:ist|sind|war|klingt|viel) zu (?:kurz|lang|förmlich|steif|formell|locker|hoch|niedrig)\b",
        r"(?:est|c'est) trop (?:court|long|formel|familier)\b",
        r"(?:es|está|quedó|muy) demasiado (?:corto|largo|formal|informal)\b", r"(?:ficou|está) (?:muito (?:curto|longo|formal)|curto demais|longo demais)\b",
        # "no way she'll guess a robot wrote this", "it sounds like chatgpt".
        r"(?:sounds?|reads?) like (?:a |an )?(?:robot|ai|chatgpt|bot|machine)\b", r"a robot wrote\b",
        # "would it be possible to make it feel less like a brochure": the style rejected, politely.
        r"(?:make|making) it (?:feel|sound|read|look|seem) less\b", r"less like (?:a|an)\b",
        # "nothing screams dry humor like ... 🙄 this reads like a hallmark movie trailer".
        r"nothing (?:screams|says) (?:\w+ ){1,2}like\b",
        r"(?:reads|sounds) like (?:a|an) (?:hallmark|movie trailer|greeting card|press release|brochure|ad|advert|commercial|linkedin post)\b",
        # "Your table says $14, but the page you cite shows $12. Which is it?": the answer against itself.
        r"which (?:one )?is it\b",
        r"(?:неправильн|неверн|ошиб|не работает|не так\b)", r"(?:틀렸|틀린|잘못|작동하지|안 돼)",
        r"(?:źle\b|błęd|nie działa|niepoprawn)", r"(?:yanlış|hatalı|çalışmıyor)", r"(?:fungerar inte|stämmer inte)",
        r"(?:klopt niet|werkt niet|onjuist)",
        # "Wrong", "doesn't work", "an error" in more languages, as their speakers write them (Ukrainian, Czech and
        # Slovak, Greek, Hebrew, Hindi, Bengali, Persian, Indonesian and Malay, Vietnamese, Tagalog, Swahili, Finnish,
        # Norwegian and Danish, Hungarian, Romanian, Thai). Not Polish "chyba" ("probably"), Indonesian "salah" alone ("salah satu",
        # "one of"; "salah dia", "his fault"), Italian "sai" ("you know").
        r"неправильн", r"не працює", r"помилк", r"špatně\b", r"nefunguje\b", r"λάθος", r"δεν (?:λειτουργεί|δουλεύει)",
        r"לא נכון", r"טעות", r"לא עובד", r"गलत", r"ग़लत", r"काम नहीं", r"ভুল", r"কাজ করছে না", r"اشتباه",
        r"کار نمی", r"(?:itu|ini|masih|kok|jawabannya|hasilnya|hitungannya|kodenya|rumusnya) salah\b", r"salah (?:hitung|rumus|kode)\b",
        r"tidak (?:berfungsi|jalan|bisa dijalankan)\b", r"(?:nggak|gak|enggak) jalan\b",
        r"(?:bị |là |đã )sai\b", r"sai rồi\b", r"không đúng\b", r"không (?:chạy|hoạt động)\b",
        r"mali (?:ang|yung|po|pa|ka|iyan|yan|ito)\b", r"hindi (?:gumagana|tama)\b", r"(?:si|hakiko|haiko|hauko) sawa\b",
        r"haifanyi kazi\b", r"kuna (?:kosa|tatizo)\b", r"umekosea\b", r"väärin\b", r"ei toimi\b", r"virhe",
        r"virker ikke\b", r"fungerer ikke\b", r"nem működik\b", r"hibás", r"greșit", r"gresit\b",
        r"nu (?:funcționează|functioneaza|merge)\b", r"ผิด", r"ไม่ถูก", r"ใช้ไม่ได้",
        r"[对對]不上", r"不一致", r"처럼 (?:읽혀|들려)", r"같이 (?:읽혀|들려)", r"太[长長短]", r"おかしい", r"合わない", r"合いません", r"長すぎ", r"短すぎ",
    )),
    Cue("redo", 2.0, (
        r"redo\b", r"rewrite (?:it|this|that)\b", r"try again\b", r"start over\b",
        r"do it (?:again|properly|right)\b", r"(?:simplify|shorten) (?:it|this|that)\b", r"tone (?:it|this|that) down\b",
        r"다시 (?:써|작성|만들어|풀어|해)",
        r"make it (?:shorter|simpler|clearer|more concise)\b", r"noch ?(?:ein)?mal\b",
        r"neu (?:machen|schreiben)\b", r"mach es (?:kürzer|einfacher)\b", r"refai(?:s|tes)\b",
        r"recommencez?\b", r"encore une fois\b", r"rehaz", r"otra vez\b", r"de nuevo\b", r"vuelve a intentar",
    )),
    # The answer is dismissed as generic, a bare list, or something the user already knew.
    Cue("too-generic", 1.8, (
        # Japanese "ちょっと堅すぎますね" ("a bit too stiff"): too stiff, long, short, hard, heavy, plain, showy.
        r"(?:堅|硬|固|長|短|難し|重|暗|地味|派手|くど)すぎ",
        r"(?:just|only|that's|it's|this is) a list\b", r"a list,? not\b", r"not an answer\b", r"textbook (?:answer|example|definition|explanation|response|stuff)\b", r"(?:that|this|it)(?:'s| is) (?:so |very |pretty )?textbook\b",
        r"basic (?:idea|version|example|answer)\b", r"generic\b", r"shallow\b", r"hand-?wavy\b",
        r"(?:too|very|pretty|rather) (?:vague|general|simplistic|high[- ]level|abstract)\b",
        r"more than (?:one line|a one-liner)\b", r"i (?:already )?know (?:what|how|that|this)\b",
        r"not (?:helpful|useful)\b", r"you just (?:listed|picked|repeated|copied)\b",
        r"you (?:just |basically |essentially )?(?:rephrased|paraphrased|reworded)\b",
        r"(?:vous avez|tu as) (?:\w+ )?(?:reformulé|recopié|paraphrasé)",
        r"zu (?:allgemein|oberflächlich|vage|generisch)\b", r"keine (?:echte |richtige )?antwort\b",
        r"weiß ich (?:schon|selbst)\b", r"nur eine liste\b", r"pas une (?:vraie )?réponse\b",
        r"trop (?:vague|général|générique|superficiel|théorique)\b", r"je (?:le )?sais déjà\b",
        r"demasiado (?:genérico|vago|general)\b", r"no es una respuesta\b", r"ya lo sé\b",
    )),
    # Options came back; the user wants a decision.
    Cue("asks-to-pick", 1.6, (
        r"which (?:one|ones|of (?:these|them|those|the)|would you|do you|should (?:we|i)|is (?:best|better))",
        r"what would you (?:pick|choose|deploy|use|recommend|go with|ship)\b", r"pick one\b",
        r"welche[snmr]? (?:davon|würdest du|nimmst du|empfiehlst du)\b", r"was würdest du (?:nehmen|wählen)",
        r"lequel\b", r"laquelle\b", r"(?:tu|vous) (?:choisirais|choisiriez|recommandes|recommandez)\b",
        r"cuál (?:de (?:ellos|ellas|estos|estas)|elegirías|recomiendas|usarías)\b", r"qué elegirías\b",
    )),
    Cue("overkill", 1.4, (
        r"why would (?:i|we|you)\b", r"overkill\b", r"over-?engineered\b",
        r"too (?:complicated|complex|heavy|expensive|slow|verbose|much)\b",
        r"zu (?:kompliziert|aufwendig|aufwändig|teuer|langsam)\b",
        r"trop (?:compliqué|complexe|lourd|cher)\b", r"demasiado (?:complicado|complejo|caro|lento)\b",
        r"太[复複][杂雜]", r"複雑すぎ",
    )),
    # The problem persists after following the answer.
    Cue("still-broken", 1.3, (
        # "that works for most but about a third come back "not found"": it works only in part.
        r"works (?:for|on|with) (?:most|some|half|a few)\b(?: of (?:them|the \w+))?[^.!?\n]* but\b",
        r"(?:it|this|that|they)(?:'s| is)? still\b", r"still (?:slow|fails?|failing|broken)\b",
        # Not "can I still see the commits?": after a modal, "still" asks what stays possible.
        r"i(?<!can i)(?<!could i)(?<!will i)(?<!would i)(?<!should i)(?<!do i)(?<!may i)(?<!might i) still\b",
        r"we(?<!can we)(?<!could we)(?<!will we)(?<!would we)(?<!should we)(?<!do we) still\b",
        r"still (?:doing|happening|the same|there|not)\b",
        # "nope, same thing", "same error", "hm, same result as before": what failed failed again.
        # Not "same thing for cmd/scheduler": doing the same elsewhere.
        r"s(?<!are the s)(?<!is the s)(?<!'s the s)ame (?:thing|error|result|problem|issue|output|behaviou?r|crash|message|exception|warning|404|500)\b(?! for\b)",
        r"immer noch\b", r"toujours (?:pas|lent|pareil|cassé)\b", r"todavía (?:no|falla|tarda)\b",
        r"sigue (?:fallando|igual|tardando)\b",
        r"[还還]是(?:不行|报错|報錯|一[样樣]|失败|失敗|不[对對])", r"[依仍]然(?:不行|报错|報錯|失败|失敗|存在)",
        r"同[样樣]的[错錯]", r"まだ(?:動かない|動きません|エラー|同じ|直って)", r"相変わらず", r"同じエラー",
        r"一直(?:是|都|显示|顯示|[报報]|不)",
        # Indonesian "masih sangat kurang" ("still very lacking"), "masih error" (a real Claude export).
        r"masih (?:(?:sangat|belum|juga) )*(?:kurang|error|salah|gagal|belum|tidak|nggak|gak|sama)\b",
        # "你一直解释不了这个原因" ("you keep failing to explain why"), a real Cursor session's missed pair.
        r"[你您]一直(?:[没沒]|解[释釋]不|搞不|做不|弄不|找不)",
        # "还是读取的不是.env文件的值" ("it still isn't reading the .env values"), a real Cursor session's missed pair.
        r"[还還]是[^，。,.!?！？\n]{1,10}?(?:不是|[没沒]有|不能|[读讀]不到|找不到)",
    )),
    Cue("concern", 1.2, (
        # "worried", not "not worried" / "no worries" (the lookbehinds sit after the first letter: a pattern opens
        # with a letter).
        r"w(?<!not w)(?<!no w)(?<!'t w)(?<!nt w)orr(?:y|ied|ies)\b", r"nervous\b", r"concern(?:ed|s)?\b",
        r"(?:one|an|a small|one small|one more) (?:issue|problem|correction)\b", r"afraid\b", r"risky\b", r"flagged\b",
        # "thank you! tho one thing, my lease has a grace period", Roman Urdu "bhai pakka?" ("sure, bro?").
        r"(?:tho|though|but|just) one (?:thing|small thing)\b", r"pakka ?\?",
        r"(?:one|a small|one small|a quick) (?:observation|remark)\b",
        r"not (?:sure|convinced)\b", r"are you sure\b",
        # "Homie, really?", "How can the first number in the new set be a nine, GPT?" (a real ChatGPT transcript): the
        # answer doubted, as a question.
        r"^(?:[\w']+,? )?really\s*\?+$",
        r"how (?:can|could) (?!i\b|we\b|you\b|u\b|one\b)[^?\n]{1,60}? be (?:a |an |the )?[\w-]+\b[^?\n]{0,30}\?", r"skeptical\b", r"confus",
        r"(?:don't|do not) (?:understand|get)\b", r"bedenken\b", r"besorgt\b", r"bist du (?:dir )?sicher\b",
        r"nicht überzeugt\b", r"inqui[eè]t", r"pas (?:sûr|convaincu)\b", r"preocup",
        r"no estoy (?:seguro|convencido)",
        # Softened objections: "ただ、細かいところで恐縮なのですが" ("sorry to be picky, but"), "失礼にあたる" ("would be
        # rude"), "差し支えないでしょうか" ("would that be all right?"), Indonesian "tapi kok" ("but how come"),
        # "Звідки там натяг?" ("where would the interference come from?").
        r"恐縮(?:なの)?ですが", r"失礼にあたる", r"差し支えない(?:もの)?でしょうか", r"tapi kok\b", r"звідки (?:там|тут)\b",
        r"откуда (?:там|тут)\b",
    )),
    # Alone, a failure word may just be the next topic ("how do I handle errors?"), so it needs company.
    Cue("failure", 1.1, (
        r"(?:type|value|key|attribute|index|name|import|syntax|runtime|reference|modulenotfound)error\b",
        r"traceback\b", r"stack ?trace\b", r"segfault", r"panic\b", r"throws?\b", r"outdated\b",
        r"deprecated\b", r"veraltet\b", r"errors?\b", r"exceptions?\b", r"fail(?:s|ed|ing|ures?)?\b",
        r"crash", r"die[sd]\b", r"break(?:s|ing)?\b", r"broken?\b", r"leak", r"outage", r"goes down\b", r"hangs?\b",
        r"deadlock", r"rate[- ]limit", r"silently\b", r"stuck\b", r"regress", r"flaky\b", r"twice\b",
        r"duplicat", r"worse\b", r"what happens (?:when|if)\b", r"times out\b", r"timed out\b", r"fehler\b", r"stürzt\b",
        r"absturz", r"kaputt\b", r"hängt\b", r"erreurs?\b", r"plant(?:e|age)\b", r"échou", r"cass[ée]",
        r"errores\b", r"fall(?:a|an|ó)\b", r"se (?:cae|rompe)\b", r"delet(?:es|ed)\b", r"destroy(?:s|ed)?\b",
        r"wiped\b", r"gelöscht",
        # "ok that's fixed. but now ~2k customers with no email are gone"; a pod killed for memory; "昵称就没了".
        r"oomkilled\b", r"crashloopbackoff\b",
        r"out of memory\b", r"(?:就|都|全)(?:没了|沒了|丢了|丟了|不见了|不見了)",
        r"supprim", r"borr[óa]", r"complains?\b", r"not found\b",
        r"[报報][错錯]", r"出[错錯]", r"[错錯][误誤]", r"失[败敗]", r"崩[溃潰]", r"运行不了", r"跑不起来", r"エラー",
        r"動か(?:ない|なく)", r"動きません", r"クラッシュ", r"落ちる", r"落ちます",
        # "there's a problem with this formula" (Excel's words, in Dutch too), "yanıt vermiyor" ("not responding"),
        # "nggak kedip sama sekali" ("doesn't blink at all").
        r"(?:there's|there is) a problem with\b", r"probleem met\b", r"yanıt vermiyor", r"donuyor\b",
        r"(?:nggak|gak|enggak|tidak|ga) \w+ sama sekali\b",
        # "没有效果" ("no effect"), "不生效" ("doesn't take effect"), "没反应" ("nothing happens"), a real chat's reports.
        r"没有?效果", r"不生效", r"没有?反应", r"不起作用", r"不管用",
        # "修复 ... 过滤失效问题" ("fix the filter that stopped working"), "无法过滤" ("cannot filter"): a real Cursor chat.
        # "启动后找不到tablemoduleclass" ("after start-up it cannot find ..."), a real Claude export.
        r"找不到", r"no such file or directory\b", r"command not found\b", r"permission denied\b",
        r"失效", r"[无無]法(?:[过過]滤|使用|运行|運行|启动|啟動|显示|顯示|打开|打開|加载|加載|连接|連接|保存|登录|登錄|编译|編譯)",
        # Egyptian Arabic, in Latin letters and in its script: "el app msh rady yetnazel" ("the app won't install").
        r"msh (?:rady|shaghal|sha8al|biyeshtaghal|sha3'al)\b", r"مش (?:راضي|شغال|بيشتغل)",
    )),
    # Constraints of the user's setting that the answer does not meet.
    Cue("constraint", 1.1, (
        r"can't\b", r"cannot\b", r"won't\b", r"never\b", r"must (?:not|never)\b", r"we don't (?:use|have)\b",
        r"(?:isn't|aren't|not) (?:shared|allowed|an option|possible|acceptable|enough|safe)\b",
        r"(?:isn't|aren't|not) (?:available|supported)\b",
        r"without (?:breaking|downtime|ripping|rewriting|pausing)\b", r"we(?:'re| are) (?:still )?on\b",
        r"(?:we|i) only have\b", r"(?:doesn't|don't|does not) support\b", r"keine option\b",
        r"wir haben kein", r"(?:können|dürfen|darf|kann) (?:wir |ich )?(?:das )?nicht\b",
        r"nicht (?:erlaubt|möglich)\b", r"ne peu(?:t|x|vons) pas\b", r"pas (?:possible|autorisé)\b",
        r"impossible\b", r"on n'a pas\b", r"no (?:podemos|puedo|se puede|es posible|tenemos)\b",
        r"imposible\b", r"(?:gak|nggak|enggak|tidak) (?:punya|ada|bisa)\b",
        # Tagalog "wala kaming oven" ("we have no oven"), Hinglish "nahi hai" ("there is no ...").
        r"wala (?:kaming|kami|akong|ako|tayong)\b",
        r"不能用", r"不允[许許]", r"不支持", r"不要用", r"别用", r"別用", r"使えない", r"使えません",
    )),
    # "We did that" is neutral alone; with a problem ("and now it fails") it is pushback on the answer.
    Cue("applied-it", 0.8, (
        # Not "can I get the top user agent next to each IP?": a request.
        r"(?:i|we)(?<!can i)(?<!could i)(?<!can we)(?<!could we) (?:get|got|see|saw)\b", r"(?:i'm|we're) (?:getting|seeing)\b",
        r"(?:we|i) (?:did|tried|applied|followed|used|ran|replaced|changed|installed|updated|added|removed) "
        r"(?:that|this|it|exactly|your|the)\b", r"(?:like|as) (?:you|u) (?:said|suggested)\b",
        r"(?:we|i) (?:implemented|deployed|added) (?:that|this|it|exactly|your|the)\b",
        r"(?:wir haben|ich habe) (?:das|es)(?: so)? (?:gemacht|umgesetzt|ausprobiert|probiert)\b",
        r"(?:on a|j'ai) (?:fait|essayé|appliqué) (?:ça|cela)\b", r"lo (?:hicimos|probamos|hice|probé)\b",
    )),
    # "Use Postgres instead?", "is there a simpler way?": the user wants something other than the answer.
    Cue("alternative", 1.2, (
        r"alternatives?\b", r"instead\b", r"other (?:option|approach|way)s?\b", r"shorter\b", r"simpler\b",
        r"stattdessen\b", r"kürzer\b", r"einfacher\b", r"à la place\b", r"autre (?:approche|solution)\b",
        r"plus (?:court|simple)\b", r"en (?:vez|lugar) de\b", r"otra (?:opción|forma)\b",
        r"más (?:corto|simple)",
        r"[换換]一[个個]", r"其他(?:方法|办法|辦法)", r"[别別]的(?:方法|办法|辦法)", r"代わりに", r"他の方法",
        r"başka (?:bir )?yol(?:u)? var mı", r"יש דרך אחרת", r"(?:tare2a|tari2a|taree2a) (?:tanya|tania)\b", r"طريقة (?:تانية|أخرى)",
    )),
    # Weak alone: asking for the real thing ("actually", "show me") or about another aspect.
    Cue("wants-specifics", 0.6, (
        r"actual(?:ly)?\b", r"concrete\b", r"specific(?:ally)?\b", r"exactly\b(?! what (?:happened|happens|i see|i'm seeing|is happening)\b)", r"in practice\b",
        r"i need\b", r"we need\b", r"i want (?:the|it|a)\b", r"show (?:me|us)\b", r"walk (?:me|us) through\b",
        r"tatsächlich\b", r"konkret", r"ich brauche\b", r"zeig (?:mir|uns)\b", r"concr[eè]t", r"vraiment\b",
        r"j'ai besoin\b", r"montre(?:z)?-(?:moi|nous)\b", r"realmente\b", r"necesito\b", r"muéstrame\b",
    )),
    Cue("what-about", 0.6, (
        r"what about\b", r"how about\b", r"was ist mit\b", r"qu'en est-il\b", r"qué hay de\b",
    )),
    # The user's memory or someone they trust against the answer: a pair only when the assistant concedes.
    Cue("counter-claim", 0.6, (
        r"my (?:teacher|doctor|prof\w*|boss|lecturer|colleague|friend|dad|mom|father|mother|manager) "
        r"(?:said|says|told|gave|thinks|insists)\b", r"i (?:thought|remember(?:ed)?|heard|read|learned)\b",
        r"everyone knows\b",
        r"(?:cousin|agent|dost|bhai|doctor|uncle|abbu|ammi|boss|manager|sir|teacher|school) ne (?:bola|kaha|bataya)\b",
        # "my notes say 1848 though, and so does our textbook".
        r"(?:my|our|the) (?:notes|textbook|book|docs|documentation|manual|syllabus|slides|source|lecture notes|handout)"
        r" (?:say|says|said|show|shows|list|lists|have|has)\b", r"gibt(?:'?s| es) doch\b", r"(?:bank|teacher|sir|madam|doctor|mummy|papa) ne (?:bola|kaha)\b", r"[课課]本", r"老[师師][说說]", r"[书書]上", r"(?:mon|ma) (?:prof\w*|médecin|professeur|chef) (?:disait|dit|a dit)\b",
        r"je (?:pensais|croyais)\b", r"(?:mi|mein|meine) (?:profesor|profesora|médico|lehrer|lehrerin|arzt|ärztin) "
        r"(?:dijo|dice|sagte|sagt|meinte)\b", r"(?:yo )?(?:pensaba|creía)\b", r"ich dachte\b",
    )),
    Cue("opens-with-no", 1.8, (
        # Not "no worries", "no changes needed", "nah slog is fine", "no, that's fine, keep it".
        r"^(?:no+|nope|nah|nein|nö|nee|non|not quite)\b(?! (?:worries|problem|changes?|need|rush|hurry|issues?|pressure)\b)"
        r"(?!,? (?:thanks?|thank you)\b)"
        # "No, that's all I needed", "no, nothing else": the answer to "anything else?".
        r"(?!\W{0,3}(?:that's all|that is all|nothing else|all good|i'm good|im good|i'm all set|we're good)\b)"
        r"(?![^.!?\n]{0,30}?(?:'s|\bis|\bare) (?:fine|ok|okay|good|right|correct)\b)", r"^(?:lol|lmao|haha\w*)\W* (?:no|nope|nah)\b(?! (?:worries|problem|rush|hurry|pressure)\b)",
    )),
)

ACCEPTANCE_CUES = (
    # A decision in favour of the answer is the strongest sign that what follows is a new question.
    Cue("adopts-answer", -2.0, (
        r"going (?:ahead )?with\b", r"(?:we'll|we will|i'll|let's) go (?:ahead )?with\b", r"approved\b",
        r"either way\b", r"we(?:'ll| will) (?:use|adopt|take) (?:it|that|this|your)\b", r"wir nehmen\b",
        r"nehmen wir\b", r"wir bleiben bei\b", r"so machen wir\b", r"genehmigt\b", r"on part sur\b",
        r"on (?:prend|garde)\b", r"approuvé\b", r"vamos con\b", r"nos quedamos con\b", r"aprobad[oa]\b",
    )),
    # It worked. Negated forms are corrections, and "make sure it works?" is still a question.
    Cue("it-worked", -1.6, (
        r"(?:it|this|that|everything) (?:now )?works\b(?![^.!?\n]*\?)(?! for (?:most|some|half|a few)\b)",
        # "Right, that error's gone. Now it gets further and ...": the fix worked; what follows is the next step.
        r"(?:that|the|this|first|original) error(?:'s| is| has| has now) (?:gone|disappeared)\b", r"gets (?:a bit |much )?further\b",
        # Greek "τώρα είναι όλα οκ" ("now all is ok").
        r"όλα (?:οκ|ok|καλά|εντάξει)\b",
        r"works (?:great|fine|perfectly|now)",
        r"works[.!]", r"(?:it|this|that) worked\b",
        r"(?:tests?|suite|build|ci) (?:now |all )?pass(?:es|ed)?\b",
        r"(?:that|this|it) (?:fixed|solved) it\b", r"did the trick\b", r"^that was it\b",
        r"(?:looks?|looked) (?:right|correct|good) (?:now|to me)\b", r"(?:all )?match(?:es)? now\b",
        r"(?:your )?(?:fix|change|patch|suggestion|version|solution) works\b", r"all green\b",
        r"(?:fixed|sorted|solved) now\b", r"(?:finally |it )went through\b", r"now (?:it|this) (?:works?|opens?|runs?|loads?)\b",
        r"(?:it|this) (?:opens?|works?) now\b",
        r"(?:is|are) (?:now )?(?:working|flowing|green)\b(?![^.!?\n]* but\b)", r"got us (?:down )?to\b", r"helped\b",
        r"^(?:green|all green|passes|passed|passou)\b(?![^.!?\n]* but\b)", r"passou (?:aqui|agora|tb|também)\b",
        r"(?:klappt|funktioniert|läuft|passt)\b(?![^.!?\n]* nicht\b)", r"gelöst\b",
        # "The results improved significantly. Average speed increased."
        r"(?:results?|accuracy|performance|speed|scores?) (?:improved|got (?:much |a lot )?better)\b(?![^.!?\n]* but\b)",
        r"(?:ça|ca|cela|tout) (?:marche|fonctionne)\b(?! pas)", r"résolu\b",
        r"(?:ya|todo|esto|eso) funciona\b", r"funciona (?:perfecto|bien|genial)\b", r"resuelto\b",
        # "Build ist nicht mehr broken 🎉", "toggle works 👌": what was asked for works.
        r"(?:nicht mehr|no longer|not) (?:broken|kaputt|rot|red|failing)\b(?! anymore\b)", r"isn't broken anymore\b",
        r"^(?!nothing |still |never |none |it )\w+ (?:now )?works\b(?![^.!?\n]*(?:\?| but\b| not\b))",
        r"可以了", r"成功了", r"解[决決]了", r"搞定", r"跑通了", r"能用了", r"没问题了", r"沒問題了", r"正常了",
        r"動きました", r"動いた", r"直りました", r"解決しました", r"うまくいき", r"ใช้ได้", r"[没沒]再",
        # Russian "заработало" ("it started working"), Rioplatense "anda joya" ("works great").
        # Korean "잘 들어가져요" / "잘 돼요" ("gets in fine", "works fine").
        r"잘 (?:돼요|됩니다|되네요|되고|들어가|작동|동작)",
        r"заработал[оаи]?\b", r"сработал[оаи]?\b", r"(?:ya )?anda (?:joya|bien|perfecto)\b", r"^ya anda\b",
    )),
    Cue("agrees", -1.4, (
        r"makes sense\b", r"good to know\b", r"got it\b", r"understood\b", r"fair enough\b", r"sounds good\b",
        r"agreed\b", r"(?:that's|thats|that is|it's|its|is|are) (?:fine|ok|okay)\b(?![^.!?\n]* but\b)(?!\W* or (?:what|not)\b)",
        r"looks good\b(?![^.!?\n]* but\b)", r"(?:exactly|that's|that was) what was (?:wrong|broken|the problem)\b",
        r"mantıklı", r"öyle kalsın", r"^(?:ah|oh),? (?:yes|ok|okay),? i see\b",
        r"(?:which|that|this) is (?:correct|right|expected)\b", r"as expected\b", r"macht sinn\b", r"ergibt sinn\b", r"gut zu wissen\b", r"alles klar\b", r"verstanden\b",
        r"bon à savoir\b", r"c'est logique\b", r"d'accord\b", r"tiene sentido\b", r"bueno saberlo\b",
        r"de acuerdo\b", r"entendido\b",
        # "That is exactly what happened.", "exactly, because i run it from the root": the answer's diagnosis confirmed.
        r"^(?:that(?:'s| is| was) )?exactly (?:what (?:happened|happens|i see|i'm seeing|is happening)|it|right)\b",
        r"^exactly\b(?![^.!?\n]* but\b)",
        # Arabic "طيب فهمت" ("ok, I understood").
        r"^طيب\b", r"فهمت",
        r"明白了", r"懂了", r"[对對]上了", r"原[来來]如此", r"有道理", r"なるほど", r"わかりました", r"分かりました",
    )),
    Cue("praise", -1.3, (
        r"(?:great|perfect|awesome|excellent|brilliant|fantastic|amazing|phenomenal|wonderful|superb|outstanding)\b",
        r"love (?:it|this)\b", r"^(?:beautiful|lovely|gorgeous|nailed it)\b", r"you nailed it\b",
        r"^super\b(?! \w+(?:y|ll)\b)", r"super(?=\W*$)", r"perfekt\b", r"toll\b", r"prima\b", r"parfait\b", r"génial\b", r"perfecto\b",
        r"genial\b", r"excelente\b", r"buen[ií]sim[oa]\b",
        # "amei!!! 😍 mas agora ...", "iyi fikir", "hay quá": loved it, a good idea, so good.
        r"^(?:amei|adorei|me encantó|me encanta|j'adore|adoro)\b", r"iyi fikir\b", r"^hay quá\b",
        # Enthusiasm without a stock word: "NOW we're cooking, this is massively better".
        r"(?:much|way|massively|so much|far|a lot|lot|hugely|vastly) (?:better|cleaner|clearer|simpler)\b",
        # Slang that praises: "omg this slaps 😭", "no notes", "chef's kiss".
        r"(?:this|it|that) (?:slaps|goes hard|ate)\b", r"no notes\b", r"chef'?s kiss\b", r"(?:so|this is) (?:fire|lit)\b",
        r"better than\b", r"we're (?:cooking|talking)\b", r"(?:really |very )?nice\b", r"lifesaver\b",
        r"life ?saver\b", r"impressed\b", r"i (?:really )?like (?:that|it|this)\b", r"not bad\b", r"exactly (?:what|how) (?:i|we)\b", r"thank you\b", r"you saved\b",
        r"(?:super|so|very|massively) (?:clear|clean|helpful|useful)\b", r"helpful\b", r"love\b",
        # A compliment to the character the assistant plays (a real companion chat: "you are pretty!", "You are
        # dressed well!").
        r"you(?:'re| are| look)(?: so| very| really)? (?:pretty|beautiful|cute|gorgeous|adorable|handsome|lovely|sweet|funny|(?:dressed |so |very )?(?:well|nicely) dressed|dressed (?:well|nicely))\b",
        r"viel besser\b", r"genau so\b", r"beaucoup mieux\b", r"^top\b", r"muchísimo mejor\b",
        r"mucho mejor\b", r"mil gracias\b", r"justo lo que\b", r"exactement ce\b", r"perfeito\b", r"ótimo\b",
        r"ficou (?:lind|ótim|perfeit|show)", r"perfetto\b", r"ottimo\b", r"bellissim",
        r"完美", r"很(?<!不很)(?<!不是很)好", r"就是这[个種种]感[觉覺]", r"太好了", r"太棒", r"不[错錯]", r"厉害", r"厲害", r"完璧", r"素晴らしい", r"助かり",
        r"τέλει[οα]\b", r"τέλεια\b", r"υπέροχ", r"чудово\b", r"ідеально\b", r"чудесно\b", r"отлично\b",
        r"skvělé\b", r"perfektní\b", r"geweldig\b", r"ممتاز", r"رائع", r"מעולה", r"מושלם",
        r"ยอดเยี่ยม", r"เยี่ยม", r"สุดยอด", r"mantap\b", r"keren\b",
    )),
    Cue("new-topic", -1.2, (
        r"follow[- ]?up\b", r"last thing\b", r"one (?:more|last) (?:thing|question)\b", r"another question\b",
        r"(?:separate|unrelated|different|new) (?:question|topic|thing|issue|problem|bug)\b", r"^next\b",
        # "unrelated, but while you're in ProjectMenu: it's been crashing for ages": the next task, said so.
        r"^(?:unrelated|totally unrelated|side note|off[- ]topic|different topic|separately)\b",
        r"다음으로", r"다음은\b",
        # "*(New session — Opus 4.6)* please read ...": the person's note that a new session starts.
        r"^\W*new session\b",
        r"next:", r"moving on\b", r"anyway,? (?:what|how|can|could|should|do|does|is|are|any)\b",
        r"diff (?:thing|question|topic)\b", r"ahora (?:ponle|pon|dime|hazme|calcula|ponme)\b", r"(?:one|another|a) more (?:fun )?(?:fact|example|idea|joke|tip)\b",
        r"next (?:we|i|question|step|up)\b", r"now (?:add|let's|can (?:we|you)|could you|i want|we want)\b",
        # "Now parse a whole column", "now do the same for March": the next task, opening the reply.
        r"^now (?:do|make|write|parse|convert|turn|create|build|generate|show|give|translate|apply|extend|take|put|split|"
        r"repeat|format|sort|summari[sz]e|rewrite)\b",
        r"jetzt noch\b", r"noch eine (?:frage|sache)\b", r"als nächstes\b", r"(?:nächste|letzte) frage\b",
        r"autre question\b", r"ensuite\b", r"dernière (?:chose|question)\b", r"maintenant ajoute\b",
        r"otra pregunta\b", r"última (?:cosa|pregunta)\b", r"ahora (?:añade|agrega|quiero)\b",
        r"^ahora (?:un|una|otro|otra)\b",
        r"另外", r"[还還]有一[个個]问题", r"[还還]有一[個个]問題", r"下一步", r"接下[来來]", r"[顺順]便", r"次に",
        r"別の質問", r"もう一つ", r"ついでに",
        # A greeting alone, as people open a new exchange in a saved chat app's log ("hello", "hey there").
        r"^(?:hi|hello|hey|yo|hola|ola|olá|bonjour|salut|hallo|ciao|привет|你好|こんにちは|안녕(?:하세요)?)"
        r"(?: (?:there|again|bro|buddy|all|brother|sister|friend|mate|man|dude|guys))?\W*$",
        # "hello how are you today": small talk opening the next exchange.
        r"^(?:(?:hi|hello|hey)\W*)?how are you(?: doing)?(?: today)?\W*$",
        # What people type to try an app's chat ("test", "exit"), in saved logs of hobby bots.
        r"^(?:test|testing|test message|exit|quit|ping|hello world)\W*$",
        r"^(?:coucou|하이|hej|oi)\W*$",
    )),
    # "good.", "cool.", "sure.", "yes shoes pls": the reply opens by going along with the answer.
    Cue("goes-along", -0.8, (
        r"^(?:good|cool|nice|yes|yeah|yep|yup|sure|ok|okay|alright|dale|listo|vale|tamam)\b(?![,.!…]* (?:but|though|however|so|pero|ama)\b)",
        # "huh ok fine, always mix those up. go with v2", "bien. añade ...", "badhiya. ab form pe ... daal de": the
        # answer taken (a sound of surprise first), in a few languages, unless a "but" follows.
        r"^(?:huh|hm+|ah|oh|ehn|eh|ehh|aha)\W+(?:ok|okay|fine|alright)\b(?![,.!…]* (?:but|though|however)\b)",
        r"^(?:bien|muy bien|très bien|badhiya|badiya|bahut badhiya|mast|shandaar|sahi hai|theek hai|thik hai)\b"
        r"(?![,.!…]* (?:pero|mais|but|par|lekin)\b)",
        # A coding agent's "y" (yes): alone or before an approval, not Spanish "y" ("and").
        r"^y(?:\W*$|\W+(?:looks|lgtm|go|do it|do that|sure|pls|please|continue|ok|okay|proceed)\b)",
        # "ah ok, vas-y alors", "reszta ok, działaj", "sweet. open a PR": go ahead, in a few languages.
        r"(?:vas-y|allez-y|go ahead|działaj|śmiało|pode seguir|mach weiter|leg los|ga je gang|devam et)\b",
        r"^(?:sweet|nice one|neat|great stuff)\b(?![,.!]* (?:but|though|however)\b)",
        # "better. do the same cleanup in retry.go": the revision taken, the next step asked.
        r"^(?:better|much better|way better|that's better)\b(?![,.!]* (?:but|though|however)\b)",
        # "plan looks sane. I'll apply myself": the person takes over the answer.
        r"i'll (?:apply|merge|deploy|push|run|test|review|do) (?:it |that |this |the rest )?(?:myself|manually|later)\b",
        # "1, use the existing redis": an option picked from the ones the answer offered.
        r"^(?:option )?\d\b[,.)]? (?:use|go|keep|with|the|let's|pls|please)\b",
        # Acknowledgements, reactions and sign-offs that open a reply ("interesting", "fair", "noted", "lol",
        # "so basically a queue", "talk later, gotta go"): not "hm" or "oh", which open complaints as often.
        r"^(?:interesting|fair|noted|i see|lol|lmao|haha\w*|wow|neat|sounds (?:reasonable|fine|right|great))\b"
        r"(?![,.!]? (?:but|though|however)\b)",
        r"^so (?:basically|essentially|in short|in other words)\b",
        # "ooh, that sounds interesting", "lets see that": an offer of the answer's taken up.
        r"^(?:\w+\W+)?(?:that |this |it )?sounds (?:interesting|good|cool|perfect|awesome|nice|useful)\b(?![,.!]? (?:but|though|however)\b)",
        r"^(?:let'?s|lets) (?:see|try|do|have) (?:that|it|this|them)\W*$",
        # "ok, so we keep it as is", "fair. leave it as is": the answer stands.
        r"(?:keep|leave) it (?:as is|as it is|like that|that way)\b(?![^.!?\n]* but\b)",
        # "I will use SUMO then.": the person settles on an option the answer gave.
        r"^(?:ok,? |okay,? |then )?(?:i'll|i will|we'll|we will) (?:use|go with|take|pick|choose|stick with)\b"
        r"(?![^.!?\n]*\b(?:instead|but|because)\b)",
        r"^(?:bye|goodbye|good night|ttyl|talk (?:later|soon|tomorrow)|gotta go|see you)\b",
        # "will do. last one for today: ...": the advice taken, the next request.
        r"^will do\b",
        # Yes and goodbye in other languages, opening a reply ("oui j'aurais besoin de conseils", "да именно!",
        # "ок я выхожу", "Тестирую выход, пока", real saved chats), unless a "but" follows.
        r"^(?:oui|sí|sim|ja|да|ага|ок|はい|네|是的|好的|没问题)(?=\W|$)(?![,.!…]* (?:mais|pero|mas|aber|но|但是|可是)\b)",
        # Russian "ладно, оставляю" ("fine, I'll leave it"), Hinglish "haan yaar" ("yes, mate").
        r"(?:ладно|хорошо),? оставл\w*", r"^(?:haan|haa|han) (?:yaar|bhai|ji)\b", r"^chalega\b", r"^nickel\b",
        r"(?:no need,? )?leave (?:it|him|her|them)(?: on| in| there)?\W*$", r"leave (?:him|her|them) on\b",
        # "tens razão, estava a pensar na outra fatura": the person grants the answer's point.
        r"^(?:ok,? |oh,? |ah,? )?(?:you'?re right|you are right|tens razão|tem razão|tienes razón|tiene razón|hai ragione"
        r"|du hast recht|tu as raison|vous avez raison)\b(?![^.!?\n]* (?:but|mas|pero|ma|aber|mais)\b)",
        r"пока\W*$", r"tchau\W*$", r"adiós\W*$", r"adieu\W*$", r"tschüss\W*$", r"さようなら\W*$", r"再[见見]\W*$",
    )),
    # The user's own slip: "wrong file, sorry, copied the wrong tab", "my bad, I ran it in the wrong folder".
    Cue("own-mistake", -2.6, (
        r"(?:i|i've) (?:pasted|copied|sent|attached|uploaded|opened|ran|run|edited|used|gave you|showed you) the wrong\b",
        r"wrong (?:file|tab|paste|link|screenshot|branch|folder|directory),? (?:sorry|oops|my bad)\b",
        r"^my (?:bad|mistake|fault)\b", r"^(?:oops|whoops)\b",
        # "I failed to exclude the vscode item from the setup, remove that entirely" (a real Claude Code session).
        r"i (?:failed|forgot|neglected) to (?:exclude|mention|include|say|specify|tell you|add|list)\b",
        # Turkish: "yanlış metni yapıştırmışım" ("I pasted the wrong text"), "benim hatam" ("my mistake").
        r"yanlış (?:\w+ )?(?:yapıştırmışım|yapıştırdım|göndermişim|gönderdim)\b", r"benim hatam\b", r"i (?:typed|mistyped|misspelled|misread)\b",
        # "kept getting #REF!, turns out i'd named the tab "Q3 Sales " with a space at the end lol, my bad".
        r"my bad\b", r"turns out (?:i|i'd|i had|i was|we|we'd|we had|it was my)\b", r"הטעות (?:הייתה |היתה )?שלי",
        r"my (?:wrong|error) (?:was|is)\b",
        # The user restarting their own message: "actually no, let me start again, thats the wrong order".
        r"let me (?:start|try|say it|write it) (?:again|over)\b", r"let me rephrase\b", r"scratch that\b",
        r"(?:it's|it was|was|that's|that was) my (?:own )?(?:typo|mistake|fault|bad)\b", r"my typo\b",
        # "revert 3f2a1c9, that's my commit", "that was me testing something", "I've made a mistake. The 2,400 was ...".
        r"(?:that's|that is|it's|it is) my (?:own )?(?:commit|change|branch|edit)\b",
        r"(?:that's|that is|that was|it was|was) (?:just )?me (?:testing|trying|playing|messing|experimenting)\b",
        # "i forgot i hadnt taken those out", "forgot he's the same dave": the person's own memory, not the answer's.
        r"i forgot (?:i|that i|he's|she's|it's|they're|we)\b", r"forgot (?:he's|she's|it's|that's) the same\b",
        # "oh wait thats on me, i retyped it": the person's own slip.
        r"(?:that's|thats|that is|that one's|it's|its) on me\b",
        r"i(?:'ve| have) made a mistake\b", r"(?:ese|este) commit es m[ií]o\b",
        r"제가 (?:\w+ )?잘못 (?:봤|읽|적|썼|입력|계산|알)", r"是我(?:本地|自己)",
        r"(?:on|in) the wrong (?:branch|folder|directory|env|environment|venv|tab|project|account|machine|server)\b",
        r"mali (?:pala )?(?:ang )?(?:na-?type|nailagay|nasulat|nailista) ko\b",
        r"erro meu\b", r"culpa minha\b", r"foi mal\b", r"mi error\b", r"error mío\b", r"culpa mía\b",
        # "lo había escrito mal yo", "always mix those up": the person's own slip.
        r"(?:había|habia) (?:escrito|puesto|copiado) mal\b",
        # "oh i copied the question wrong": the person's own slip.
        r"i (?:copied|wrote|typed|read|misread|entered) (?:it|that|the \w+|my \w+) wrong\b", r"always (?:mix|get) (?:those|these|them) (?:up|mixed up)\b",
        r"mein fehler\b", r"meine schuld\b", r"ma faute\b", r"mon erreur\b", r"colpa mia\b", r"errore mio\b",
        r"我的[错錯]", r"我搞[错錯]", r"我弄[错錯]", r"我打[错錯]", r"我看[错錯]", r"我漏了", r"私の(?:ミス|間違)",
        r"自分の(?:ミス|間違)", r"タイプミス",
    )),
    # A failure that was there before the answer: "that one fails on main too", "it wasnt working even before
    # your change". Not a verdict on the answer.
    Cue("already-broken", -2.0, (
        r"(?:fails?|failing|broken|red) on (?:main|master|develop|trunk)\b",
        r"(?:was|were) (?:already )?(?:broken|failing|like that) (?:before|on main)\b",
        r"even before (?:your|the|this) (?:change|fix|edit|commit)\b", r"not (?:from|caused by) your (?:change|fix|edit)\b",
    )),
    # Curiosity and definitions: "what does amortization mean here?", "why X instead of Y? just curious".
    Cue("asks-meaning", -1.6, (
        r"just (?:curious|wondering|asking)\b", r"out of curiosity\b",
        # The person thinking about their own plan: "hmm. thinking aloud... what if there's no shop in act 1".
        r"thinking (?:out loud|aloud)\b",
        r"what (?:does|do) (?:\w+ ){1,4}(?:actually )?mean\b", r"what do you mean by\b", r"what exactly do you mean\b",
        # "Ta. What's actually the difference between --ntasks and --ntasks-per-node?"
        r"what(?:'s| is) (?:actually |really |exactly )?the difference between\b", r"when you say\b",
        r"what (?:does|do) the \w+ (?:\w+ ){0,5}(?:actually )?do\b(?! to\b)",
        r"why does (?:that|this|it) (?:work|help)\b",
        r"什[么麼]意思", r"どういう意味",
        # "add_argument的action参数作用" ("what the action parameter does"), a real Cursor session in Chinese.
        r"(?:参数|參數|函数|函數|方法|选项|選項)?的?作用(?:是什[么麼])?\W*$", r"有什[么麼]用",
        # "amortisman tam olarak ne demek" ("what does depreciation mean exactly"), the same in other languages;
        # "what does --frozen-lockfile actually do? is it the same thing as npm ci?".
        r"ne demek\b", r"что (?:такое|значит|означает)\b", r"was (?:bedeutet|heißt)\b", r"veut dire quoi\b",
        r"qu'est-ce que (?:\S+ ){1,4}veut dire\b", r"qu[eé] (?:significa|quiere decir)\b", r"o que (?:significa|quer dizer)\b",
        r"cosa (?:significa|vuol dire)\b", r"무슨 뜻", r"what (?:does|do) -\S+ (?:actually |really |exactly )?do\b",
        r"is (?:it|that|this) the same (?:thing )?as\b",
    )),
    # A new plan, not a verdict: "actually let's do Rome instead of Paris", "on second thought".
    Cue("changes-plan", -1.5, (
        r"let's (?:do|go with|go for|make it|switch to|try|use) (?:\w+ ){1,4}instead\b", r"on second thought\b",
        # "Actually, never mind. Let's continue using bash. However, ..." (a real aider history): the person takes
        # back their own request.
        r"^(?:actually|oh|ok|okay)?\W*(?:never ?mind|nvm)\W*(?:[.,;!]|$)",
        r"changed my mind\b", r"(?:we|i) (?:just |now )?decided (?:to|on)\b", r"(?:we|i) changed (?:our|my) plans?\b",
        # "PM says we drop IE support after all": the requirement changed, not the answer's fault.
        r"(?:pm|client|customer|boss|manager|team|product|stakeholders?|legal|cfo|ceo|cto|board|director) (?:says|said|decided|wants) (?:that )?we\b",
        r"(?:team|pm|client|boss|manager|management|they|we|cfo|ceo|cto|board|director|legal|hr|finance|compliance) (?:has |have )?(?:just |now |finally )?decided\b",
        r"(?:pm|client|customer|boss|manager|legal|cfo|ceo|cto|board|director) (?:now |suddenly |actually )?wants (?:it|this|that|them)\b",
        # "Sorry, the requirements just changed a little. I now want this:" (a real aider history's false pair).
        r"(?:requirements?|specs?|scope|plans?) (?:have |has )?(?:just |now |slightly )?changed\b",
        r"šéf (?:to )?(?:teď |ted )?chce\b",
        r"(?:기획|계획|요구사항|스펙)이 바뀌",
    )),
    # Politeness alone is weak: "Thanks, but that's wrong" is still pushback.
    Cue("thanks", -1.0, (
        r"thanks?\b", r"thx\b", r"cheers\b", r"danke\b", r"merci\b", r"gracias+\b", r"thanks+\b", r"obrigad", r"valeu\b",
        r"grazie\b", r"спасибо", r"감사", r"dzięk", r"teşekkür", r"tack\b", r"bedankt\b", r"dank je\b",
        r"makasih\b", r"terima kasih\b", r"díky\b", r"děkuj", r"cảm ơn\b",
        r"[谢謝][谢謝]", r"多[谢謝]", r"感[谢謝]", r"ありがと", r"ευχαριστ", r"дякую", r"شكرا", r"תודה",
        r"mulțumesc\b", r"multumesc\b", r"salamat\b", r"ขอบคุณ", r"ขอบใจ",
    )),
    # "good, push it", "ok. run the settings tests", "yes please, in a separate PR": the user goes ahead with the
    # answer and gives the next step.
    Cue("proceeds", -1.5, (
        r"^(?:ok|okay|good|cool|sure|alright|fine|yep|yeah|great|perfect)[.,!]? (?:now |then |please |so )?"
        r"(?:push|run|merge|ship|deploy|commit|open|proceed|go ahead|continue|do it|let's)\b",
        r"yes,? please\b", r"ship it\b",
        # "Output as requested." then what the assistant asked for.
        r"^(?:output|logs?|results?|here(?:'s| is| are) (?:the )?(?:output|logs?|results?)),? as (?:requested|you asked)\b",
        # "go", "lgtm. commit", "push it, then ...": the next step alone.
        r"^(?:go|go ahead|proceed|do it|lgtm|yes|yep|ok|okay|sure)\W*$", r"^lgtm\b",
        # Indonesian: "ya", "iya, lanjut", "sudah saya ganti" ("I've switched it", after the agent asked for it).
        r"^(?:ya|iya|iyaa|yup|oke|okey|sip|boleh|lanjut|lanjutkan|gas)(?:\W+(?:lanjut|lanjutkan|gas|silakan))?\W*$",
        # "lanjut bikin notifikasi emailnya" ("go on, make the email notification").
        r"^(?:lanjut|lanjutkan)\W+(?:bikin|buat|bikinin|buatkan|tambah|tambahkan|pasang|ke|dengan)\b",
        r"^sudah (?:saya |aku |ku)?(?:ganti|ubah|aktifkan|switch|pindah|install|setting|set)\w*\W*$",
        # The plan approved: Cursor's "Implement the plan as specified ..." and Claude Code's "Implement the following
        # plan:", which the tools send when the person clicks to build it.
        r"implement the plan as specified\b", r"^implement the following plan\b",
        # "go for it", "ok, go for it" (a real Claude Code export).
        r"^(?:\w+\W+){0,2}go for it\W*$",
        r"^(?:push|commit|merge|ship|deploy) (?:it|that|this)\b",
        # A coding agent's next step, closing the reply: "green ✅ tag it", "ok now commit and push", "commita aí".
        r"(?:commit|push|merge|tag|ship|deploy|release|rebase)(?: (?:and )?(?:it|this|that|them|now|push|tag|everything|all|pls|please))*\W*$",
        r"commita\b", r"(?:faz|haz|mach) (?:o |el |den |das )?(?:commit|push)\b",
        # "finance said ok, send it now", "... et envoie", "pode finalizar e enviar", "go on, do the sprinklers too".
        r"send (?:it|them|that|this)(?: now| out| off)?\W*$", r"envoie\W*$", r"envoyer\W*$", r"envía(?:lo)?\W*$", r"enviar\W*$", r"envia\W*$", r"invia\W*$", r"schicke? (?:es|sie) ab\W*$",
        r"^go on,? (?:and |then )?(?:do|add|book|send|make|set)\b",
        r"open (?:a |the )?(?:pr|pull request|mr|merge request)\b",
    )),
    # "Also update the README": one more thing to do, not a verdict on the answer ("Also, it crashes" still is:
    # the failure outweighs it).
    Cue("also", -1.0, (
        r"^(?:and |now |actually,? )?also\b", r"^\w+ too(?:\W+(?:pls|please))?\W*$", r"sekalian\b", r"^now the\b", r"^and (?:one|have|make|add|another|maybe|can|could|now|the)\b", r"i also (?:want|need)\b", r"(?:can|could|would) you also\b", r"while you're (?:in there|at it)\b", r"^außerdem\b", r"^además\b", r"^aussi\b",
        r"^et aussi\b", r"再[帮幫]我", r"再加", r"^好[，,。！! ]",
        # "e também testes unitários ...", "y también ...", "und auch ...": one more thing.
        r"^(?:e|y|und|i) (?:também|también|auch|també)\b",
        r"kun je ook\b", r"kannst du (?:auch|noch)\b", r"(?:peux-tu|pourrais-tu) aussi\b", r"puedes también\b",
    )),
    # "Here's the log, what went wrong?": a new thing to diagnose, not a verdict on the answer.
    Cue("asks-diagnosis", -2.6, (r"what (?:went|goes|is going|'s going|is|'s) wrong\b",)),
    # "go on": the user wants more of the same answer.
    Cue("continue", -2.0, (
        r"^(?:go on|continue|keep going|weiter|continuez|contin[uú]a|sigue|vai|prosegui)\W*$",
        # "ooh. continue the story", "ok keep going pls".
        r"^(?:ooh+|oh|ok|okay|nice|great|cool|yes|yay|haha|lol)\W+(?:go on|continue|keep going)(?: (?:the story|writing|please|pls))?\W*$",
        r"^continue with\b", r"continue with (?:the|your) \w+", r"keep going,? (?:do|with|and) the\b",
        r"^(?:oya|abeg|pls|please|ok|okay)\W+continue\W*$",
        r"^(?:sigue|contin[uú]a|continue|weiter|go on|keep going)\W+(?:porfa|por favor|please|pls|bitte)\b",
        # "more" after a list or a draft (a real Continue session): more of the same.
        r"^(?:more|more please|more pls|give me more|more of (?:this|that|these|them))\W*$",
        # "继续" ("continue"), a real Claude export's false pair; Japanese "続けて", Korean "계속".
        r"^(?:继续|繼續|続けて|続き|계속)(?:吧|写|寫|하세요|해줘|해)?\W*$",
        # "続けてください、次は (3) ..." ("please go on; next is (3) ...").
        r"^続けてください", r"次は",
        # Vietnamese "bài khác nữa đi" ("another one, go on").
        r"(?:bài|cái) khác nữa\b",
    )),
    # "B", "option 2", "the second one": the person picks among what the answer offered (a real chat log answered a
    # menu of options with "B").
    Cue("picks", -1.2, (
        r"^(?:option|choice|opción|opção|variante?|variant)?\s*#?\(?[a-e1-9]\)?[.)]?\W*$",
        r"^(?:the )?(?:first|second|third|fourth|last|1st|2nd|3rd) (?:one|option|approach|version|choice)\W*$",
        # "the first, and ask for a quiet room", "2nd one 7:30 pls", "de tweede heen en de eerste terug", "doe maar
        # nummer 3", "두번째 걸로": an option picked by its place, then what goes with it.
        r"^(?:the |option |no\.? )?(?:first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)(?: one| option)?"
        r"(?=\W*$|[,.]| (?:and|pls|please|then|at|for|with|\d))",
        r"^(?:doe maar |neem )?(?:de |het )?(?:eerste|tweede|derde|vierde|laatste|nummer \d)\b",
        r"^(?:la |el |lo )?(?:primera?|segund[ao]|tercer[ao]?|última|último)(?: opción)?\b(?=\W*$|[,.]| (?:y|por|con|a las|\d))",
        r"(?:첫|두|세|네|다섯) ?번째", r"^[1-9]番目",
        # Tagalog: "yung 3 po, kasi ..." ("number 3, please, because ...").
        r"^(?:yung|ung|yong) (?:\d|[a-e])\b",
        # The pick, then why: "la B, no quiero meter force", "1번으로 해줘", "ooh the smoker box one. where ...".
        r"^(?:la |el |option |opción |opção |variante )[a-e1-9][.)]?(?=[,.;:!]|\s)", r"^[1-9]번(?:으로|이요|요)?\b",
        # "2で！" ("number 2, please"), "Bにします" ("I'll take B").
        r"^[a-e1-9１-９](?:番目?)?(?:で|に(?:します|する)|でお願い)",
        r"^(?:(?:ooh+|oh|ok|okay)\W+)?the (?!wrong\b|old\b|same\b|other\b|broken\b)\w+(?: \w+)? one\b",
        # "我选第二项" ("I pick the second item"), a real chat answering a menu.
        r"^我?(?:选|選|要)(?:择|擇)?第?[一二三四五六七八九1-9](?:个|個|项|項|种|種|条|條|套)?",
    )),
    # Weaker than adopting: "switched to X and now it crashes" is still pushback.
    Cue("switched", -0.8, (r"switch(?:ed|ing) to\b", r"umgestellt\b", r"passé à\b", r"cambiamos a\b")),
)

# What the revision does with the pushback: take it (revises) or keep the first answer (defends).
REVISION_CUES = (
    # Keeping the first answer with reasons: the user was wrong, so there is no preference to learn.
    Cue("chosen-defends", -4.0, (
        r"i'd (?:still |rather )?(?:keep|stay|stick|leave)\b", r"i would (?:still )?(?:keep|stay|stick|leave)\b",
        r"i'd still (?:use|recommend|start|go|pick|choose|put)\b", r"(?:keep|leave) it as (?:is|it is)\b",
        r"(?:isn't|is not|aren't|are not|wasn't) (?:\w+ )?(?:deprecated|broken|a bottleneck|true|the case)\b",
        r"(?:hasn't|has not|haven't|have not) been (?:broken|cracked|deprecated)\b",
        r"(?:is|are) still (?:a |an |the )?(?:correct|fine|valid|accepted|supported|standard|safe|right)\b",
        r"(?:that's|this is|it's) a (?:common )?(?:myth|misconception)\b", r"in fact\b",
        # "You're thinking of copy-on-write ... the original still doesn't change", "the reserve is still 45 minutes".
        r"^you're (?:probably )?thinking of\b", r"still (?:doesn't|does not|isn't|is not|won't) (?:change|apply|matter)\b",
        r"(?:is|are) still \d", r"(?:is|are) still \**not\b", r"i understand the (?:intuition|confusion|logic|reasoning|idea),? but\b",
        r"(?:most )?common (?:objection|misconception|confusion)\b",
        r"^no,? (?:the|this|that|your|it) (?:\w+ )?already (?:does|do|handles?|covers?|closes?|checks?)\b",
        r"(?:the|this) (?:\w+ )?above is (?:fine|correct|right)\b", r"no need to change\b",
        r"würde (?:ich )?(?:\w+ )?so lassen\b", r"(?:so|dabei) bleiben\b", r"beibehalten\b", r"^doch\b",
        r"(?:recommendation|answer|advice|approach|suggestion) (?:stands|still (?:holds|applies))\b",
        r"(?:answer|advice|above|code|query|script) (?:is|remains) unchanged\b", r"stays? as (?:it is|is)\b",
        r"i (?:haven't|have not|didn't|did not) change(?:d)? (?:the|it|anything)\b", r"(?:merge|keep|leave) it as is\b",
        r"ne sono sicur", r"(?:dubbio|errore) (?:molto )?(?:diffuso|comune)\b", r"(?:still|remains) (?:safe|correct|valid|the right)\b",
        r"bleibt (?:richtig|gültig|sicher|korrekt)\b", r"(?:je )?(?:la |le |les )?garderais\b",
        r"reste (?:donc )?(?:sûr|valable|correct)", r"mantendría\b", r"sigue (?:siendo )?(?:válid|segur|correct)",
        # Holding a fact against the user's memory: "It really is", "Yes, I'm sure", "a common myth".
        r"^(?:yes|yep|yeah|ja|oui|sí|si)[,.!]? i'm (?:sure|certain)\b", r"^it (?:really|definitely|still) (?:is|does)\b",
        r"(?:is|are) (?:a )?(?:common |widespread |popular )?(?:myth|misconception)\b",
        r"(?:mais|pero|aber|but) (?:elle|il|ça|es|sie|es ist|it) (?:est|is|ist)? ?(?:fausse|faux|falso|falsch|false)\b",
    )),
    # Taking the point: conceding, or building on the user's statement ("Then drop ...", "That's a race").
    Cue("chosen-revises", 1.4, (
        r"you're (?:absolutely )?(?:right|correct)\b", r"good (?:catch|point)", r"fair (?:point|enough)\b", r"^right\b",
        r"you are (?:absolutely |quite |entirely )?(?:right|correct)\b", r"t'as raison\b", r"excuse-moi\b", r"^fair[,.!]",
        r"(?:is|are|was) (?:almost |most |probably )?(?:certainly |definitely |likely )?right\b", r"(?:both|these) are (?:real|valid)\b", r"my (?:mistake|bad)\b", r"sorry\b",
        r"apolog", r"i agree\b", r"^agreed\b", r"^true\b", r"^then\b",
        # "Ah, law! Corrected — and ...": the correction taken, said in a word.
        r"^(?:\w+\W+){0,3}corrected\b",
        r"^that (?:points|means)\b", r"^understood\b", r"looking at it again\b", r"i see the problem\b",
        # "您说得对！我一直没有抓住核心问题" ("you're right! I kept missing the core problem"), "抱歉".
        r"[你您]说[得的]对", r"^抱歉", r"^对不起", r"^(?:すみません|申し訳)",
        # "Ahhh got it — thanks for the screenshot." (a real ChatGPT export), "got it, so the extension ...".
        r"^(?:a+h+|oh+|ok(?:ay)?)?\W*got it\b",
        r"(?:i|we) (?:missed|overlooked)\b", r"du hast recht\b", r"sie haben recht\b", r"guter punkt\b",
        r"entschuldig", r"^stimmt\b", r"^richtig\b", r"^verstanden\b", r"^dann\b", r"bonne remarque\b",
        r"(?:tu as|vous avez) raison\b", r"désolé", r"^exact\b", r"^c'est (?:la|le)\b", r"^alors\b",
        r"tienes (?:toda la )?razón\b", r"tiene (?:toda la )?razón\b", r"lo siento\b", r"perdón\b",
        # Hinglish: "haan, tum sahi ho" ("yes, you're right"), "meri galti" ("my mistake").
        r"(?:tum|aap) sahi (?:ho|hain|hai)\b", r"meri galti\b", r"buena observación", r"^claro\b",
        r"sahi (?:keh|kah) rah?e? (?:hain|ho|hai)\b", r"ghalat likh", r"errei\b", r"^isso mesmo\b",
        r"^entendido\b", r"^entonces\b",
        # Conceding a question that implied the error ("doesn't that need the product rule?" "Yes, it does").
        r"^(?:yes|yeah|ja|oui|sí),? (?:it|that|you) (?:does|do|would|will|is|was|should|needs?)\b(?! not\b)",
        r"^(?:oops|whoops|indeed|correct|good eye|nice catch)\b", r"thanks for (?:catching|spotting|pointing)",
        r"(?:is|was) the (?:bug|culprit|mistake)\b", r"^(?:yes\W+)?your (?:\w+ )?(?:is|was|are) (?:correct|right)\b",
        r"the \w+ you (?:found|cited|linked|quoted|mentioned|read|saw) (?:is|was) (?:correct|right)\b", r"i (?:misread|misunderstood|got (?:that|it) wrong)\b",
        r"i mis(?:counted|calculated|remembered|stated|labell?ed|spoke)\b",
        r"i (?:overstated|understated|overestimated|underestimated|overlooked)\b",
        r"that was (?:wrong|a mistake) (?:of|on|from) me\b", r"das war (?:falsch|ein fehler) von mir\b",
        r"i (?:got|had) (?:that|it|this|them|the \w+) (?:wrong|backwards|mixed up|reversed)\b",
        r"^here(?:'s| is) (?:a |the )?(?:corrected|fixed|revised|working)\b", r"my (?:error|fault)\b",
        # An agent that did what was asked: "Done: the total now adds the tax first", "I've updated cart.py".
        r"^(?:done|fixed|updated|changed|noted|got it)\b",
        r"^(?:reverted|undid|restored|rolled back|removed|replaced|rewrote|renamed|switched)\b", r"^(?:switching|changing|moving|going) (?:to|back)\b",
        r"^(?:ok|okay|alright),? (?:i'll|i will|let me|switching|changing|updating|fixing|using)\b", r"i(?:'ve| have) (?:now )?(?:updated|changed|fixed|rewritten|corrected|"
        r"adjusted|switched|reworked|replaced|removed|moved)\b",
        r"معك حق", r"أنت محق", r"عذرا", r"عذراً", r"آسف", r"вы правы", r"ты прав", r"это (?:была )?(?:моя )?ошибка", r"моя ошибка",
        r"hast du (?:völlig |vollkommen |absolut |natürlich )?recht\b", r"haben sie (?:völlig |vollkommen )?recht\b", r"извин", r"прошу прощения", r"맞습니다", r"맞아요", r"죄송", r"masz rację",
        r"ma pan(?:i)? rację", r"przepraszam", r"haklısın", r"özür", r"du har rätt", r"förlåt", r"ursäkta",
        r"je me suis tromp", r"me equivoqu", r"ich habe mich (?:geirrt|vertan)", r"ich lag falsch\b",
        r"me enganei\b", r"eu errei\b", r"mi sono sbagliat", r"ho sbagliato\b",
        r"je hebt gelijk", r"u hebt gelijk", r"excuses\b",
        # "I gave you the wrong account type", "your notes have it right".
        r"i (?:gave|used|wrote|picked|put|quoted|cited) (?:you )?the wrong\b", r"(?:have|has|had) it right\b",
        # "You're right", "sorry", "my mistake" in more languages (Ukrainian, Czech and Slovak, Greek, Hebrew, Hindi,
        # Bengali, Persian, Indonesian and Malay, Vietnamese, Tagalog, Swahili, Finnish, Norwegian and Danish,
        # Hungarian, Romanian, Catalan, Portuguese's "tem toda a razão", Thai).
        r"(?:ви|ти) прав(?:і|ий|а)\b", r"вибач", r"перепрошую", r"моя помилка", r"я помил", r"(?:máte|máš) pravdu",
        r"omlouvám se", r"moje chyba", r"spletl", r"prepáčte", r"έχετε δίκιο", r"έχεις δίκιο", r"^ναι,? σωστά",
        r"^σωστά\b", r"συγγνώμη", r"λάθος μου", r"צודק", r"סליחה", r"טעות שלי", r"^נכון\b", r"सही (?:हैं|है|हो)",
        r"माफ़", r"माफ", r"क्षमा", r"मेरी (?:गलती|ग़लती)", r"ঠিক বলেছেন", r"দুঃখিত", r"আমার ভুল", r"حق با شما",
        r"ببخشید", r"عذر می", r"(?:anda|kamu|kau) (?:benar|betul)\b", r"^(?:betul|benar)\b", r"maaf\b",
        r"(?:kesalahan|salah) (?:saya|aku)\b", r"kesalahan (?:di|pada|dalam) (?:\w+ ){1,3}(?:saya|aku)\b",
        r"bạn nói đúng\b", r"xin lỗi\b", r"tôi (?:đã )?nhầm\b", r"lỗi của tôi\b", r"tama ka\b", r"pasensya\b",
        r"paumanhin\b", r"uko sahihi\b", r"umeona sawa\b", r"samahani\b", r"kosa langu\b", r"nilikosea\b",
        r"olet oikeassa\b", r"anteeksi\b", r"du har rett\b", r"du har ret\b", r"beklager\b", r"unnskyld",
        r"undskyld", r"igazad van\b", r"igaza van\b", r"elnézést", r"bocsánat", r"tévedtem\b",
        r"(?:aveți|ai) dreptate\b", r"îmi cer scuze\b", r"greșeala mea\b", r"tens raó\b", r"tem toda a razão\b",
        r"ขอโทษ", r"คุณพูดถูก",
        r"você tem razão\b", r"tem razão\b", r"desculp", r"hai ragione\b", r"^scus", r"mi scuso\b",
        r"^(?:抱歉|对不起|對不起|不好意思|你说得对|您说得对|你說得對|您說得對|你說得沒錯|你说得没错|[对對][\uff0c,\u3002\uff01!]|没错|沒錯"
        r"|確かに|失礼|すみません|申し訳|ごめん|その通り"
        r"|おっしゃる(?:とおり|通り)|ご指摘)",
        # Keigo puts 大変 / 誠に before the apology: "大変失礼いたしました".
        r"失礼いたしました", r"失礼しました", r"申し訳(?:ありません|ございません)",
    )),
)
# fmt: on


_LEADING_GROUP = re.compile(r"\(\?:([^()]*)\)(.*)", re.DOTALL)
# The apostrophe of a contraction in a pattern ("doesn't", "that's", "you're", "i'm"): users often leave it out.
_CONTRACTION = re.compile(r"(?<=[a-z])'(?=(?:s|t|re|ve|m|d|ll)\b)")


def optional_apostrophes(pattern: str) -> str:
    """ "doesn't work" also as "doesnt work", "that's not" as "thats not" (at no cost per scanned text)."""
    return _CONTRACTION.sub("'?", pattern)


def spread(pattern: str) -> list[str]:
    """Split a leading group of words, "(?:it|this) works", into patterns that start with a letter."""
    match = _LEADING_GROUP.fullmatch(pattern)
    words = match[1].split("|") if match else []
    if match and all(word[:1].isalpha() for word in words):
        rest = match[2]
        if rest.startswith("?"):  # an optional group: "(?:really )?nice" is also "nice"
            rest = rest[1:]
            return [word + rest for word in words] + spread(rest)
        return [word + rest for word in words]
    return [pattern]


_Compiled = tuple[
    list[tuple[Cue, re.Pattern[str]]],
    re.Pattern[str],
    re.Pattern[str],
    re.Pattern[str],
    dict[str, list[tuple[Cue, re.Pattern[str]]]],
    list[tuple[Cue, re.Pattern[str]]],
    re.Pattern[str],
]
# Han, kana, Thai and Hangul (whose particles run into the word before them, "보도자료처럼"): a pattern opening with one (or with a class of them) is searched anywhere, and only in a text
# that holds one.
_UNSPACED = re.compile(r"\[?[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_UNSPACED_TEXT = re.compile(
    r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def _by_second(tails: Iterable[str]) -> str:
    """Patterns without their first letter as one group, those that go on with a plain letter grouped by it
    (`(?:h(?:at's|is is)|o(?:o long))`): the engine tries a bucket's alternatives in turn, so after "th" it now
    rules out in one comparison the ones that go on otherwise."""
    grouped: dict[str, list[str]] = {}
    rest: list[str] = []
    for tail in tails:
        # A plain letter, apostrophe or space, not followed by a quantifier that would make it optional.
        if (tail[:1].isalnum() or tail[:1] in "' ") and tail[1:2] not in ("?", "*", "+", "{"):
            grouped.setdefault(tail[0], []).append(tail[1:])
            continue
        rest.append(tail)
    branches = [f"{re.escape(letter)}(?:{'|'.join(group)})" for letter, group in grouped.items()] + rest
    return f"(?:{'|'.join(branches)})"


class CueScanner:
    """Find which cue families fire in a text, in one regex pass.

    Python's re pays for every position it tries and every alternative it tries there. So a scan only starts
    after a space (a literal the engine finds fast; the detector puts one before every word), and patterns are
    bucketed by first letter: a bucket whose letter differs is skipped in one comparison. Capture groups
    would name the family but slow every attempt, so a match is attributed afterwards, trying only the
    families with a pattern of that first letter, in their order. Chinese and Japanese patterns, which cannot wait
    for a space, are searched family by family, and only in a text written partly in those scripts.
    """

    def __init__(self, cues: Sequence[Cue]) -> None:
        self._openers: list[tuple[Cue, str]] = []
        self._unspaced: list[tuple[Cue, str]] = []
        self._heads: dict[str, dict[Cue, list[str]]] = {}
        for cue in cues:
            for pattern in (optional_apostrophes(one) for written in cue.patterns for one in spread(written)):
                if pattern.startswith("^"):
                    self._openers.append((cue, pattern[1:]))
                elif _UNSPACED.match(pattern):
                    self._unspaced.append((cue, pattern))
                elif pattern[0].isalpha():
                    self._heads.setdefault(pattern[0], {}).setdefault(cue, []).append(pattern)
                else:
                    raise ValueError(f"cue {cue.name}: {pattern!r} must start with a letter or '^'")
        # Compiled at the first scan: importing the detector (every CLI command does) stays cheap.
        self.compiled: _Compiled | None = None

    def _compile(self) -> _Compiled:
        buckets = [
            f"{h}{_by_second(p[1:] for ps in by_cue.values() for p in ps)}"
            for h, by_cue in self._heads.items()
        ]
        # A text all in ASCII (most are) is scanned only for the patterns that open with an ASCII letter.
        ascii_buckets = [bucket for bucket in buckets if bucket[0].isascii()]
        by_head = {
            head: [(cue, re.compile("|".join(patterns))) for cue, patterns in by_cue.items()]
            for head, by_cue in self._heads.items()
        }
        # One regex per family of its openers: a text that opens with one of them is tried against each family once.
        by_cue: dict[Cue, list[str]] = {}
        for cue, pattern in self._openers:
            by_cue.setdefault(cue, []).append(f"(?:{pattern})")
        openers = [(cue, re.compile("|".join(patterns))) for cue, patterns in by_cue.items()]
        # Most texts open with none of them: one match of them all rules that out before trying each.
        any_opener = re.compile("|".join(f"(?:{pattern})" for _, pattern in self._openers) or "(?!)")
        unspaced: dict[Cue, list[str]] = {}
        for cue, pattern in self._unspaced:
            unspaced.setdefault(cue, []).append(pattern)
        anywhere = [(cue, re.compile("|".join(patterns))) for cue, patterns in unspaced.items()]
        # Where any of them starts, found in one pass (a lookahead, so one family's match does not hide another's).
        any_anywhere = re.compile(
            "(?=" + "|".join(p for _, p in self._unspaced) + ")" if self._unspaced else "(?!)"
        )
        self.compiled = (
            openers,
            any_opener,
            re.compile(f" (?:{'|'.join(ascii_buckets) or '(?!)'})"),
            re.compile(f" (?:{'|'.join(buckets)})"),
            by_head,
            anywhere,
            any_anywhere,
        )
        return self.compiled

    def hits(self, text: str) -> dict[Cue, int]:
        """Matches per family in a text prepared by the detector (lower-cased, a space before every word)."""
        openers, any_opener, scan_ascii, scan_all, by_head, anywhere, any_anywhere = (
            self.compiled or self._compile()
        )
        in_ascii = text.isascii()
        scan = scan_ascii if in_ascii else scan_all
        found = (
            {cue: 1 for cue, regex in openers if regex.match(text, 1)} if any_opener.match(text, 1) else {}
        )
        for match in scan.finditer(text):
            start = match.start() + 1
            for cue, regex in by_head[text[start]]:
                if regex.match(text, start):
                    found[cue] = found.get(cue, 0) + 1
                    break
        if anywhere and not in_ascii and _UNSPACED_TEXT.search(text) is not None:
            ends: dict[Cue, int] = {}  # where each family's last match ended: its matches do not overlap
            for place in any_anywhere.finditer(text):
                at = place.start()
                for cue, regex in anywhere:
                    if at >= ends.get(cue, 0) and (hit := regex.match(text, at)) is not None:
                        found[cue] = found.get(cue, 0) + 1
                        ends[cue] = hit.end()
        return found
