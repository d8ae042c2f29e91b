"""Charset detectors on labelled, unlabelled pages: how often each decodes right, its CPU.

    .venv/bin/python -m bench.charset_bench [--per 12] [--seed 7]

Pages carry no charset label (no header, no ``<meta charset>``, no BOM, not UTF-8), so
``charset.choose_encoding`` reaches its detector. Each class is a codec and a language
(47 classes: windows-125x, ISO-8859-x, KOI8, CP866, Shift_JIS, EUC-JP, ISO-2022-JP,
GB18030/GBK, Big5, EUC-KR, TIS-620, ...), each in five shapes: a title only, a title and
one sentence, three paragraphs, 8-25 paragraphs, and one sentence among ASCII template
markup. A page is decoded right when the detector's codec (through the allow-list,
``charset.lookup``; none or a refused name means windows-1252 as in ``choose_encoding``)
gives exactly the page's text. Every detector sees what ``charset.detect`` gives its own:
the first 64 KiB with tags blanked.

Detectors: the one linkhealth uses (charset-normalizer through ``charset.detect``) and,
where installed, ``chardetng_py``, ``cchardet`` (the cchardet or faust-cchardet package)
and ``chardet``. Prints each class where a detector differs from the one in use, the totals
and the CPU per page; the classes where a detector is worse than the one in use last.
"""

from __future__ import annotations

import argparse
import codecs
import random
import time
import unicodedata
from collections.abc import Callable

from linkhealth.meta import charset as C

FR = [
    "Économie française : où va l'été ?",
    "Les prévisions économiques pour la fin de l'année, à lire avant décembre.",
    "Le musée du Louvre a accueilli près de neuf millions de visiteurs l'an dernier.",
    "Recette facile : crème brûlée à la vanille et aux œufs frais.",
    "La réunion a été déplacée à jeudi prochain, après la pause déjeuner.",
    "Où trouver un logement étudiant à Lyon ou à Grenoble ?",
]
DE = [
    "Über die Brücke gehen wir später",
    "Die Bundesregierung plant für das nächste Jahr höhere Ausgaben für Bildung und Forschung.",
    "Größere Städte müssen mehr Wohnungen bauen, sagt der Bürgermeister.",
    "Wetter in München: sonnig, am Nachmittag zunehmend bewölkt.",
    "Führerschein verloren – was ist jetzt zu tun?",
    "Schöne Grüße aus Köln und bis nächste Woche.",
]
ES = [
    "Mañana será un día soleado en España",
    "El Gobierno aprobó ayer la reforma de las pensiones tras meses de negociación.",
    "¿Cuál es la mejor época para viajar a Andalucía?",
    "La película recibió críticas muy positivas en el festival de cine de San Sebastián.",
    "Receta tradicional: cómo preparar una paella valenciana auténtica.",
    "Los niños aprendieron a contar en inglés y en español.",
]
PT = [
    "Notícias de São Paulo: trânsito intenso na avenida Paulista.",
    "O governo anunciou novas medidas para a educação pública este ano.",
    "Como fazer pão de queijo em casa, passo a passo.",
    "A seleção brasileira venceu o jogo por dois a zero.",
]
IT = [
    "Perché il caffè italiano è così famoso nel mondo?",
    "Il sindaco ha annunciato più fondi per le scuole della città.",
    "Domani sarà una giornata di sole, ma farà più freddo.",
    "La città è piena di turisti durante l'estate.",
]
SV = [
    "Vädret i Göteborg blir soligt i morgon med svag vind.",
    "Regeringen föreslår höjda anslag till förskolan nästa år.",
    "Så här lagar du köttbullar med gräddsås och lingon.",
    "Många människor åker till fjällen under sportlovet.",
]
EN = [
    "Our company's “best” offer — only €9.99 this week",
    "Copyright © 2024 Acme Widgets Ltd. All rights reserved.",
    "Don’t miss the spring sale – up to 50% off selected items.",
    "Café menu: soups, salads and the chef’s daily special.",
]
PL = [
    "Wiadomości z Polski: żółta kartka dla ministra",
    "Rząd zapowiedział zmiany w podatkach od przyszłego roku, ale szczegóły nie są jeszcze znane.",
    "Jak przygotować pierogi z kapustą i grzybami?",
    "Pogoda w Krakowie: słonecznie, wieczorem możliwe opady deszczu.",
    "Zażółć gęślą jaźń – ćwiczenie z polskich znaków.",
    "Uczniowie wracają do szkół we wrześniu po wakacjach.",
]
CS = [
    "Počasí v Praze: zítra slunečno, odpoledne přeháňky",
    "Vláda schválila nový zákon o daních z příjmů fyzických osob.",
    "Jak uvařit pravou českou svíčkovou na smetaně?",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Studenti se vrátili do škol po letních prázdninách.",
    "Nejlepší místa pro výlet v jižních Čechách.",
]
HU = [
    "Időjárás Budapesten: holnap napos, délután zápor",
    "A kormány új adótörvényt fogadott el a jövő évre.",
    "Hogyan készítsünk igazi gulyáslevest otthon?",
    "Árvíztűrő tükörfúrógép – a magyar ékezetek próbája.",
    "A diákok szeptemberben visszatérnek az iskolába.",
]
HR = [
    "Vremenska prognoza za Zagreb: sutra sunčano i toplo",
    "Vlada je najavila nove mjere za pomoć poduzetnicima.",
    "Kako pripremiti pašticadu na dalmatinski način?",
    "Đaci se vraćaju u škole početkom rujna.",
]
RO = [
    "Vremea în București: mâine însorit, după-amiază averse",
    "Guvernul a aprobat noile măsuri fiscale pentru anul următor.",
    "Cum se prepară sarmalele tradiționale românești?",
    "Elevii se întorc la școală în septembrie.",
]
RU = [
    "Новости науки и техники",
    "Обзор главных событий недели: искусственный интеллект, космос и энергетика.",
    "Погода в Москве на завтра",
    "Как приготовить борщ: пошаговый рецепт",
    "Правительство утвердило бюджет на следующий год.",
    "Студенты вернулись к занятиям после летних каникул.",
]
UK = [
    "Новини України: уряд ухвалив нові правила",
    "Погода у Києві на завтра: сонячно, без опадів.",
    "Як приготувати справжній український борщ із пампушками?",
    "Учні повертаються до шкіл у вересні.",
]
BG = [
    "Новини от България: правителството прие бюджета",
    "Времето в София утре: слънчево и топло.",
    "Как се приготвя баница със сирене?",
    "Учениците се връщат в училище през септември.",
]
EL = [
    "Ειδήσεις της ημέρας",
    "Ο καιρός στην Αθήνα αύριο θα είναι ηλιόλουστος.",
    "Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία.",
    "Πώς να φτιάξετε παραδοσιακό μουσακά στο σπίτι;",
    "Οι μαθητές επιστρέφουν στα σχολεία τον Σεπτέμβριο.",
]
TR = [
    "Hava durumu: İstanbul'da yarın güneşli ve sıcak",
    "Hükümet gelecek yıl için yeni vergi düzenlemesini açıkladı.",
    "Evde kolay mercimek çorbası nasıl yapılır?",
    "Öğrenciler eylül ayında okullara dönüyor.",
    "Şehrin en güzel çay bahçeleri hangileri?",
]
HE = [
    "חדשות היום",
    "מזג האוויר בתל אביב מחר יהיה שמשי וחם.",
    "הממשלה אישרה את התקציב לשנה הבאה.",
    "איך מכינים חומוס ביתי בקלות?",
    "התלמידים חוזרים לבתי הספר בספטמבר.",
]
AR = [
    "أخبار اليوم",
    "الطقس في القاهرة غدا مشمس وحار.",
    "أعلنت الحكومة عن إجراءات جديدة لدعم الاقتصاد.",
    "كيف تحضر الحمص في المنزل بسهولة؟",
    "يعود الطلاب إلى المدارس في شهر سبتمبر.",
]
LT = [
    "Orai Vilniuje: rytoj saulėta ir šilta",
    "Vyriausybė pritarė naujam mokesčių įstatymui.",
    "Kaip išsivirti tikrus lietuviškus cepelinus?",
    "Mokiniai grįžta į mokyklas rugsėjo mėnesį.",
]
LV = [
    "Laika prognoze Rīgā: rīt saulains un silts",
    "Valdība apstiprināja jaunos nodokļu noteikumus nākamajam gadam.",
    "Kā pagatavot īstu pelēko zirņu ēdienu?",
    "Skolēni atgriežas skolās septembrī.",
]
ET = [
    "Ilm Tallinnas: homme päikeseline ja soe",
    "Valitsus kiitis heaks uue maksuseaduse järgmiseks aastaks.",
    "Kuidas valmistada kodus head kartulisalatit?",
    "Õpilased naasevad kooli septembris.",
]
TH = [
    "ข่าววันนี้",
    "สภาพอากาศในกรุงเทพพรุ่งนี้มีแดดจัดและร้อน",
    "รัฐบาลประกาศมาตรการใหม่เพื่อช่วยเหลือเศรษฐกิจ",
    "วิธีทำต้มยำกุ้งแบบง่ายๆ ที่บ้าน",
    "นักเรียนกลับไปโรงเรียนในเดือนพฤษภาคม",
]
VI = [
    "Tin tức hôm nay: thời tiết Hà Nội",
    "Chính phủ công bố các biện pháp mới để hỗ trợ nền kinh tế.",
    "Cách nấu phở bò truyền thống tại nhà.",
    "Học sinh trở lại trường vào tháng chín.",
]
JA = [
    "東京の天気予報",
    "今日の東京は晴れのち曇り、最高気温は二十五度の見込みです。洗濯日和でしょう。",
    "日本語の文章を書く練習",
    "新しいスマートフォンの発売日が決まりました",
    "政府は来年度の予算案を閣議決定しました。",
    "京都の紅葉は十一月が見頃です。",
]
ZH = [
    "机器学习入门教程",
    "本教程介绍机器学习的基本概念，包括监督学习、无监督学习以及常见的模型评估方法。",
    "今天的天气很好",
    "中国的历史非常悠久",
    "政府宣布了新的经济刺激措施。",
    "学生们九月份回到学校上课。",
]
ZHT = [
    "機器學習入門教學",
    "本教學介紹機器學習的基本概念，包括監督式學習與非監督式學習。",
    "今天的天氣很好",
    "臺灣的夜市非常熱鬧",
    "政府宣布了新的經濟措施。",
    "學生們九月回到學校上課。",
]
KO = [
    "서울의 날씨",
    "오늘 서울은 맑고 최고 기온은 이십오 도입니다.",
    "한국어 문장 연습",
    "새로운 스마트폰 출시일이 정해졌습니다",
    "정부는 내년 예산안을 발표했습니다.",
    "학생들은 구월에 학교로 돌아갑니다.",
]
CLASSES = [
    ("cp1252-fr", "cp1252", FR),
    ("cp1252-de", "cp1252", DE),
    ("cp1252-es", "cp1252", ES),
    ("cp1252-pt", "cp1252", PT),
    ("cp1252-it", "cp1252", IT),
    ("cp1252-sv", "cp1252", SV),
    ("cp1252-en", "cp1252", EN),
    ("iso8859-1-fr", "latin-1", FR),
    ("iso8859-1-de", "latin-1", DE),
    ("iso8859-15-fr", "iso8859-15", FR),
    ("cp1250-pl", "cp1250", PL),
    ("cp1250-cs", "cp1250", CS),
    ("cp1250-hu", "cp1250", HU),
    ("cp1250-hr", "cp1250", HR),
    ("iso8859-2-pl", "iso8859-2", PL),
    ("iso8859-2-cs", "iso8859-2", CS),
    ("iso8859-2-hu", "iso8859-2", HU),
    ("iso8859-16-ro", "iso8859-16", RO),
    ("cp1251-ru", "cp1251", RU),
    ("cp1251-uk", "cp1251", UK),
    ("cp1251-bg", "cp1251", BG),
    ("koi8-r-ru", "koi8-r", RU),
    ("koi8-u-uk", "koi8-u", UK),
    ("iso8859-5-ru", "iso8859-5", RU),
    ("cp866-ru", "cp866", RU),
    ("iso8859-7-el", "iso8859-7", EL),
    ("cp1253-el", "cp1253", EL),
    ("cp1254-tr", "cp1254", TR),
    ("iso8859-9-tr", "iso8859-9", TR),
    ("cp1255-he", "cp1255", HE),
    ("iso8859-8-he", "iso8859-8", HE),
    ("cp1256-ar", "cp1256", AR),
    ("iso8859-6-ar", "iso8859-6", AR),
    ("cp1257-lt", "cp1257", LT),
    ("cp1257-lv", "cp1257", LV),
    ("iso8859-13-lt", "iso8859-13", LT),
    ("iso8859-4-lv", "iso8859-4", LV),
    ("iso8859-15-et", "iso8859-15", ET),
    ("cp874-th", "cp874", TH),
    ("cp1258-vi", "cp1258", VI),
    ("cp932-ja", "cp932", JA),
    ("euc_jp-ja", "euc_jp", JA),
    ("iso2022_jp-ja", "iso2022_jp", JA),
    ("gb18030-zh", "gb18030", ZH),
    ("gbk-zh", "gbk", ZH),
    ("big5-zht", "big5hkscs", ZHT),
    ("cp949-ko", "cp949", KO),
]

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
SHAPES = ("title", "short", "medium", "long", "padded")


def encode(text: str, codec: str) -> bytes:
    """``text`` in ``codec``; windows-1258 writes Vietnamese tones as combining marks."""
    if codec != "cp1258":
        return text.encode(codec)
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = "".join(c for c in parts if c not in _TONES)
        out.append(unicodedata.normalize("NFC", base) + "".join(c for c in parts if c in _TONES))
    return "".join(out).encode("cp1258")


def _encodable(text: str, codec: str) -> bool:
    try:
        encode(text, codec)
    except UnicodeError:
        return False
    return True


def page(rng: random.Random, sents: list[str], shape: str) -> str:
    t, d = rng.choice(sents), rng.choice(sents)
    head = f"<!doctype html><html><head><title>{t}</title>"
    if shape == "title":
        return head + "</head><body><a href='/'>Home</a></body></html>"
    head += f"<meta name=description content='{d}'>"
    if shape == "short":
        return head + f"</head><body><p>{d}</p></body></html>"
    if shape in ("medium", "long"):
        count, per = (3, 2) if shape == "medium" else (rng.randint(8, 25), 4)
        ps = "".join(
            "<p>" + " ".join(rng.choice(sents) for _ in range(per)) + "</p>\n" for _ in range(count)
        )
        return head + f"</head><body><h1>{t}</h1>{ps}</body></html>"
    pad = (
        "<div class='nav'><a href='/about'>About us</a> <a href='/contact'>Contact</a></div>"
        "<p>Some ASCII text of the template.</p>\n"
    ) * rng.randint(5, 40)
    script = "<script>var x = 1; function f(a) { return a + 1; }</script>"
    return head + f"{script}</head><body>{pad}<p>{d}</p>{pad}</body></html>"


def corpus(per: int, seed: int) -> list[tuple[str, str, str, bytes]]:
    """(class, shape, codec, bytes) for ``per`` pages of each class and shape."""
    rng = random.Random(seed)
    out = []
    for name, codec, sentences in CLASSES:
        sents = [s for s in sentences if _encodable(s, codec)]
        for shape in SHAPES:
            for _ in range(per):
                out.append((name, shape, codec, encode(page(rng, sents, shape), codec)))
    return out


def to_codec(name: str | None) -> str | None:
    """A detector's answer through the allow-list (uchardet's UHC is windows-949)."""
    if not name:
        return None
    if name.lower() == "ascii":
        return "utf-8"
    codec = C.lookup(name) or C.lookup({"uhc": "euc-kr"}.get(name.lower(), ""))
    if codec:
        return codec
    try:
        found = codecs.lookup(name).name
    except LookupError:
        return None
    return found if found in C.allowed_codecs() else None


def _sample(body: bytes) -> bytes:
    return C._TAG.sub(b" ", body[: C.DETECT_BYTES])


def detectors() -> dict[str, Callable[[bytes], str | None]]:
    found: dict[str, Callable[[bytes], str | None]] = {"in use": C.detect}
    try:
        import chardetng_py  # type: ignore[import-not-found]

        found["chardetng-py"] = lambda b: to_codec(
            chardetng_py.detect(_sample(b), allow_utf8=False)
        )
    except ImportError:
        pass
    try:
        import cchardet  # type: ignore[import-not-found]

        label = f"cchardet {getattr(cchardet, '__version__', '')}".strip()
        found[label] = lambda b: to_codec(cchardet.detect(_sample(b))["encoding"])
    except ImportError:
        pass
    try:
        import chardet  # type: ignore[import-not-found]

        found["chardet"] = lambda b: to_codec(chardet.detect(_sample(b))["encoding"])
    except ImportError:
        pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per", type=int, default=12, help="pages per class and shape")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pages = corpus(args.per, args.seed)
    right: dict[str, dict[tuple[str, str], int]] = {}
    cpu: dict[str, float] = {}
    for label, detect in detectors().items():
        detect(pages[0][3])  # imports and tables before the clock
        counts: dict[tuple[str, str], int] = {}
        spent = 0.0
        for name, shape, codec, body in pages:
            start = time.process_time()
            guess = detect(body) or C.DEFAULT_FALLBACK
            spent += time.process_time() - start
            ok = body.decode(guess, "replace") == body.decode(codec)
            counts[name, shape] = counts.get((name, shape), 0) + ok
        right[label], cpu[label] = counts, spent
    labels = list(right)
    print("class".ljust(16), "shape".ljust(7), "".join(x[:14].rjust(15) for x in labels))
    for key in right["in use"]:
        row = [right[x][key] for x in labels]
        if len(set(row)) > 1:
            print(
                key[0].ljust(16), key[1].ljust(7), "".join(f"{v}/{args.per}".rjust(15) for v in row)
            )
    for x in labels:
        total = sum(right[x].values())
        worse = sorted({k[0] for k, v in right[x].items() if v < right["in use"][k]})
        print(f"{x}: {total}/{len(pages)} right, {cpu[x] * 1e3 / len(pages):.3f} ms CPU a page")
        if worse:
            print(f"  worse than the one in use on: {', '.join(worse)}")


if __name__ == "__main__":
    main()
