"""Text normalisation of report texts.

Two layers:

* :func:`normalize_text` — the report text a researcher reads and the figure readers parse:
  pinyin annotations left by a site's conversion tool removed (彩云鎮(zhèn) → 彩云鎮), ``?``
  mojibake repaired (where non-breaking spaces or full stops were), Traditional → Simplified
  with OpenCC when the text is in fact mostly Traditional, full-width digits and letters
  folded, spam injected by hacked sites removed (:mod:`govcrawl.report.spam`), runs of spaces
  collapsed; each repair that changed something is named in ``flags``.
* :func:`normalize_for_reading` — the small, local fold used before reading names, years and
  dates (:mod:`govcrawl.report.fields`): a table of the Traditional characters that occur in
  administrative names and report boilerplate, never touching Simplified text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = [
    "NormalizedText",
    "fold_width",
    "is_mostly_traditional",
    "normalize_for_reading",
    "normalize_text",
    "strip_pinyin",
    "to_simplified",
]

# Pairs "traditional simplified", one per character, grouped loosely by topic.
_T2S_PAIRS = (
    # administrative units and organs
    "鎮镇縣县區区鄉乡辦办務务開开報报資资衛卫廳厅處处會会議议門门屬属級级轄辖"
    "團团隊队聯联協协黨党機机關关厲厉廠厂銀银醫医療疗護护"
    # provinces, regions and frequent place-name characters
    "國国華华東东廣广遼辽龍龙蘇苏閩闽贛赣魯鲁粵粤瓊琼貴贵雲云陝陕寧宁臺台灣湾"
    "慶庆陽阳嶺岭興兴張张鄭郑漢汉黃黄劉刘陳陈楊杨趙赵吳吴孫孙馬马嶽岳陸陆"
    "莊庄橋桥溝沟灘滩壩坝嶼屿島岛壽寿豐丰樂乐萬万寶宝齊齐濱滨潯浔鹽盐滬沪晉晋"
    "隴陇綏绥遠远爾尔蘭兰紅红綠绿鳳凤鶴鹤雞鸡鄖郧鄧邓鄲郸陰阴峽峡巖岩鹹咸澤泽"
    "湯汤滄沧潛潜濰潍瀋沈瀘泸灤滦溫温滿满潁颍瀏浏澠渑鞏巩懷怀壺壶壇坛墾垦塢坞"
    "堯尧場场埡垭塗涂麗丽來来侖仑僑侨倉仓崗岗岡冈崑昆盧卢蔣蒋蕭萧薩萨藍蓝蘆芦"
    "韓韩鄒邹鴻鸿鵬鹏營营彌弥灃沣臨临寧宁鐵铁錦锦鍾钟鎢钨銅铜錫锡"
    "漢汉窯窑勝胜圍围墻墙牆墙灣湾義义烏乌蒼苍蓮莲萊莱瑪玛緬缅驛驿"
    # report boilerplate
    "總总體体為为對对應应際际於于時时間间號号員员長长專专經经濟济發发環环與与"
    "財财農农業业數数據据檔档條条構构標标樣样檢检權权歷历氣气決决沒没測测準准"
    "災灾無无產产畫画盡尽監监眾众衆众確确禮礼稅税種种稱称穩稳競竞節节範范簡简類类"
    "糧粮係系紀纪約约細细組组結结絕绝統统維维網网綜综編编線线練练績绩繫系繼继"
    "續续罰罚羅罗聞闻聲声職职聽听肅肃舉举舊旧艱艰葉叶蓋盖薦荐藝艺號号製制複复"
    "規规視视覺觉親亲觀观計计訂订訊讯討讨訓训記记許许訴诉診诊評评詞词詢询試试"
    "詳详認认語语說说請请調调談谈論论諮咨諾诺謀谋講讲證证識识譯译讀读變变讓让"
    "貝贝負负責责貫贯貸贷費费貿贸賦赋質质購购贊赞車车軟软輔辅輸输轉转這这進进"
    "遞递連连運运過过達达遷迁遺遗選选適适邊边還还釋释針针鋼钢錄录錢钱閉闭閱阅"
    "階阶隨随險险隱隐雖虽雜杂離离難难電电靜静項项須须預预頒颁領领頻频題题額额"
    "顯显風风飛飞養养館馆駐驻驗验鬥斗點点齡龄彙汇匯汇譽誉懸悬戲戏擁拥擇择擊击"
    "擺摆歸归殘残殺杀毀毁滅灭漲涨熱热爲为獻献盜盗礦矿碼码禍祸筆笔籌筹糾纠紐纽"
    "純纯納纳紹绍終终絡络給给綫线緊紧緒绪縱纵纖纤罷罢膽胆艦舰術术裏里裡里裝装"
    "襲袭見见覽览訪访設设該该誌志誤误誠诚誰谁課课諸诸謝谢謹谨譜谱貧贫貨货販贩"
    "貪贪貼贴賃赁賀贺賓宾賠赔賢贤賣卖賬账賴赖贈赠贏赢趕赶跡迹踐践軌轨較较載载"
    "輕轻輛辆輪轮辭辞邁迈銷销鋪铺鍵键鎖锁鏈链閃闪閣阁闊阔陣阵隸隶雙双響响頁页"
    "頂顶順顺頓顿頭头顧顾餘余驅驱鬆松麼么個个們们倫伦偉伟側侧備备傷伤僅仅兒儿"
    "創创劃划劇剧動动勵励勸劝卻却參参叢丛呂吕問问啟启單单嚴严囑嘱圖图圓圆壓压"
    "壞坏夥伙奧奥學学實实審审寫写將将尋寻導导層层屆届師师帳帐帶带幾几庫库廬庐"
    "幹干幣币幫帮廢废異异彎弯後后徹彻恆恒悅悦惡恶愛爱態态慣惯慮虑憑凭懇恳懲惩"
    "撥拨擔担擬拟擴扩攜携擾扰攝摄敗败敘叙斷断暢畅暫暂曆历曉晓書书極极榮荣樓楼"
    "樹树橫横歡欢歲岁況况涼凉淨净滯滞滲渗漸渐潤润濃浓濕湿煉炼燈灯燒烧牽牵猶犹"
    "獄狱獎奖獨独獲获現现畢毕疊叠癥症碩硕禦御築筑簽签羣群習习聖圣脅胁脈脉腳脚"
    "膚肤蘋苹補补誇夸謂谓譴谴豈岂趨趋躍跃輯辑轟轰辯辩邏逻郵邮醜丑釀酿鉛铅錯错"
    "鍛锻鏡镜鑑鉴鑒鉴閘闸闖闯靈灵頌颂頗颇顆颗飯饭飲饮飽饱飾饰駕驾騎骑騰腾驚惊"
    "鳴鸣鷹鹰麥麦齒齿個个佈布佔占併并傳传價价億亿優优兩两內内冊册剛刚勞劳勢势"
    "變变嗎吗壯壮夢梦奪夺奮奋婦妇寬宽廟庙彈弹徑径從从復复徵征憲宪戰战戶户據据"
    "敵敌書书會会楓枫歐欧淺浅渦涡湧涌潔洁灑洒煙烟爭争狀状璽玺畝亩盤盘礎础紙纸"
    "繞绕揮挥欄栏則则絲丝縮缩腦脑蟲虫詐诈鋁铝餅饼鬧闹饑饥飢饥滙汇訟讼詮诠匯汇儲储"
)

_T2S = dict(zip(_T2S_PAIRS[0::2], _T2S_PAIRS[1::2], strict=True))
_T2S_RE = re.compile("[" + "".join(_T2S) + "]")

# Full-width ASCII (！ to ～), the ideographic space and the no-break space.
_WIDTH = {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "\xa0": " "}
_WIDTH_RE = re.compile("[\uff01-\uff5e\u3000\xa0]")

# Pinyin a conversion tool put after a character: 鎮(zhèn), 設(shè), 網(wǎng). The bracket's
# content is checked to be one pinyin syllable (see _pinyin_sub), so (app), (一) and (2019) stay.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PINYIN = re.compile(rf"(?<=[{_CJK}])[(（]([a-zà-ɏḿ]{{1,6}})[)）]")
_TONED = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]")
_SYLLABLE = re.compile(
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|iao|ian|uai|uan|ai|ei|ui|ao|ou|iu|ie|ve|ue|er"
    r"|an|en|in|un|vn|ia|ua|uo|a|o|e|i|u|v)"
)


@lru_cache(maxsize=4096)
def _is_syllable(word: str, *, toneless: bool) -> bool:
    """``word`` is one pinyin syllable (with a tone mark unless ``toneless``)."""
    if not toneless and not _TONED.search(word):
        return False
    bare = unicodedata.normalize("NFD", word.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v")
                                 .replace("ǚ", "v").replace("ǜ", "v"))
    bare = "".join(ch for ch in bare if not unicodedata.combining(ch))
    return _SYLLABLE.fullmatch(bare) is not None


def _strip_pinyin(text: str) -> tuple[str, int]:
    """Pinyin annotations removed, and how many. Toneless syllables (縣(xian)) are taken only
    where the same text also carries tone-marked ones, the sign that a conversion tool ran."""
    if "(" not in text and "（" not in text:
        return text, 0
    toneless = False
    count = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        if _is_syllable(m.group(1), toneless=toneless):
            count += 1
            return ""
        return m.group(0)

    text = _PINYIN.sub(sub, text)
    if count and _PINYIN.search(text):
        toneless = True
        text = _PINYIN.sub(sub, text)
    return text, count


# Regex substitution rather than str.translate: the text is mostly untouched, and a
# C-level scan with few callbacks is many times faster than translate's per-character
# dictionary look-ups on non-ASCII text.


def to_simplified(text: str) -> str:
    """Map the Traditional characters we know about to Simplified; leave the rest."""
    return _T2S_RE.sub(lambda m: _T2S[m.group(0)], text)


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations such as ``鎮(zhèn)`` → ``鎮``; real brackets stay."""
    return _strip_pinyin(text)[0]


def fold_width(text: str) -> str:
    """Full-width ASCII to ASCII (２０２２ → 2022, （ → (, ： → :); U+3000 and NBSP to a space."""
    return _WIDTH_RE.sub(lambda m: _WIDTH[m.group(0)], text)


def normalize_for_reading(text: str) -> str:
    """Pinyin stripped, Traditional → Simplified, width folded."""
    return fold_width(to_simplified(strip_pinyin(text)))


# --- normalize_text -------------------------------------------------------------------------

@dataclass(frozen=True)
class NormalizedText:
    """A normalised report text and the repairs that changed it (flag names, in step order)."""

    text: str
    flags: list[str] = field(default_factory=list)


# Spaces of every width become one ASCII space; zero-width characters and BOMs go.
_SPACES = re.compile("[\\t\\xa0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000]")
_ZERO_WIDTH = re.compile("[\\u200b-\\u200d\\u2060\\ufeff\\u00ad]")
_MULTISPACE = re.compile(" {2,}")
_LINE_END_SPACES = re.compile(" +\n")
_LINE_START_SPACES = re.compile("\n +")
_BLANK_LINES = re.compile("\\n{3,}")

# Garbles of a site's conversion tool seen across many sites, where a character and its
# annotation's bracket became '?': "成效?,F(xiàn)將" (。現), "人民日?qǐng)?bào)" (日報).
_GARBLES = {"?,F(xiàn)": "。现", "日?qǐng)?bào)": "日报"}
_GARBLE_RE = re.compile("|".join(re.escape(g) for g in _GARBLES))
# What is left of other annotations whose character and '(' became '?': "?bào)".
_ORPHAN_PINYIN = re.compile("[?？]([a-zà-ɏḿ]{1,6})[)）]")


def _repair_garbles(text: str) -> tuple[str, int]:
    """Known conversion-tool garbles repaired, orphan annotations removed; how many."""
    if "?" not in text and "？" not in text:
        return text, 0
    count = 0

    def orphan(m: re.Match[str]) -> str:
        nonlocal count
        if _is_syllable(m.group(1), toneless=False):
            count += 1
            return ""
        return m.group(0)

    text, n = _GARBLE_RE.subn(lambda m: _GARBLES[m.group(0)], text)
    return _ORPHAN_PINYIN.sub(orphan, text), count + n


# '?' mojibake: an ASCII '?' that stood for a non-breaking space or a character the page's
# encoding could not hold. Kept: inside URLs and query strings, and genuine questions.
_QMARK = re.compile(r"\?+")
# The bulk of '?' mojibake (table cells "0?", "??7", line ends "如下:?"): between a line edge,
# a space, a digit or punctuation on each side (never digit?digit), removed without a look.
_QMARK_PLAIN = re.compile(
    r"\?(?:(?<![^\s|:：、，。；;,!！\]】”]\?)\?*(?=[\s|\d:：、，。；;,!！(（\[【“]|$)"
    r"|(?<=\d\?)\?*(?=[\s|:：、，。；;,!！(（\[【“]|$))"
)
_URL_START = re.compile(r"(?:https?://|www\.)|\.(?:jsp|php|aspx?|s?html?|do|action|cgi)$", re.IGNORECASE)
_QUERY = re.compile(r"[A-Za-z_]\w{0,30}=")
_URL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/#@!$&'*+,;=%")
_QUESTION_WORDS = re.compile(
    "吗|呢|么|嘛|什么|怎|如何|为何|为什么|哪|是否|谁|多少|多久|多长|何时|何处|何种|难道|可否|能否|"
    "嗎|甚麼|為何|為什麼|難道"
)
_CLAUSE_END = re.compile("[。！？!；;，,:：\\n]")
_WORD_CHAR = re.compile(rf"[{_CJK}0-9A-Za-z]")

# Full-width digits and letters → ASCII; ％ → %; a full-width point between digits → '.'.
_FW_ALNUM = re.compile("[\\uff10-\\uff19\\uff21-\\uff3a\\uff41-\\uff5a\\uff05]|(?<=[0-9０-９])．(?=[0-9０-９])")


def _is_question(text: str, start: int) -> bool:
    """The '?' at ``start`` ends a genuine question (a question word in its clause, or an
    English sentence)."""
    lo = max(0, start - 40)
    clause = text[lo:start]
    ends = [m.end() for m in _CLAUSE_END.finditer(clause)]
    if ends:
        clause = clause[ends[-1]:]
    if not clause:
        return False
    if _QUESTION_WORDS.search(clause):
        return True
    tail = clause[-20:]
    return len(tail) >= 8 and " " in tail.strip() and sum(c.isascii() and (c.isalpha() or c == " ") for c in tail) >= 0.8 * len(tail)


def _in_url(text: str, start: int, end: int) -> bool:
    """The '?' at ``start`` is a URL's query mark (http://x/a.jsp?id=1, www.x.cn/?p=2)."""
    if end >= len(text) or not (text[end].isascii() and text[end].isalnum()):
        return False
    lo = start
    while lo > 0 and start - lo < 300 and text[lo - 1] in _URL_CHARS:
        lo -= 1
    word = text[lo:start]
    if not word:
        return False
    if _URL_START.search(word) is not None:
        return True
    return "/" in word and _QUERY.match(text, end) is not None


def _repair_qmarks(text: str) -> tuple[str, int]:
    """'?' mojibake removed (or a space where it stood between two words); how many."""
    if "?" not in text:
        return text, 0
    text, count = _QMARK_PLAIN.subn("", text)

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        s, e = m.span()
        if _in_url(text, s, e):
            return m.group(0)
        if e - s == 1 and _is_question(text, s):
            return m.group(0)
        count += 1
        before = text[s - 1] if s else "\n"
        after = text[e] if e < len(text) else "\n"
        return " " if _WORD_CHAR.match(before) and _WORD_CHAR.match(after) else ""

    return _QMARK.sub(sub, text), count


@lru_cache(maxsize=1)
def _t2s() -> Any:
    """The OpenCC Traditional → Simplified converter, built once per process."""
    import opencc  # deferred: the converter loads its dictionaries on first use

    return opencc.OpenCC("t2s")


def is_mostly_traditional(text: str) -> bool:
    """At least 5% of the non-ASCII characters are Traditional-only ones (a Traditional text
    scores ~25%; a Simplified one quoting a Traditional name a fraction of a percent), and
    at least three of them unless they are a third of a short text (a title)."""
    hits = len(_T2S_RE.findall(text))
    wide = len(text) - len(text.encode("ascii", "ignore"))
    return hits >= 0.05 * wide and (hits >= 3 or hits >= 0.3 * wide) and hits > 0


_FULL_WIDTH = re.compile("[\uff05\uff10-\uff5a]")


def _fold_alnum(text: str) -> str:
    """Full-width digits and letters (and ％, and a decimal ．) to ASCII."""
    if not _FULL_WIDTH.search(text):
        return text
    return _FW_ALNUM.sub(lambda m: "." if m.group(0) == "．" else chr(ord(m.group(0)) - 0xFEE0), text)


def normalize_text(raw: str) -> NormalizedText:
    """The report text normalised for reading and parsing; see the module docstring.

    Flags: ``pinyin_removed``, ``mojibake_repaired``, ``traditional_converted``,
    ``spam_injection`` — each only when its step changed the text. Line breaks are kept.
    """
    from govcrawl.report.spam import remove_spam

    flags: list[str] = []
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", _SPACES.sub(" ", text))
    text, garbles = _repair_garbles(text)
    text, pinyin = _strip_pinyin(text)
    if pinyin or garbles:
        flags.append("pinyin_removed")
    text, qmarks = _repair_qmarks(text)
    if qmarks or garbles:
        flags.append("mojibake_repaired")
    text = _fold_alnum(text)
    text, spam = remove_spam(text)
    if is_mostly_traditional(text):
        converted = _t2s().convert(text)
        if converted != text:
            text = converted
            flags.append("traditional_converted")
            text, more = remove_spam(text)  # phrases in Traditional form (澳門…)
            spam = spam or more
    if spam:
        flags.append("spam_injection")
    if "  " in text:
        text = _MULTISPACE.sub(" ", text)
    if " \n" in text:
        text = _LINE_END_SPACES.sub("\n", text)
    if "\n " in text:
        text = _LINE_START_SPACES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    text = text.strip()
    return NormalizedText(text=text, flags=flags)
