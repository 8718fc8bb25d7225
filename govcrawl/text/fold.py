"""One home for folding text before it is matched or read.

* :func:`fold` — a label or title for matching: NFKC (full-width → ASCII), pinyin annotations
  removed, whitespace and what stands for it ('?' mojibake, zero-width spaces) removed,
  Traditional → Simplified. Used for titles and link texts (discovery) and table labels (report).
* :func:`fold_text` — running text before names, years and dates are read from it: pinyin
  removed, Traditional → Simplified, full-width ASCII folded; spaces, line breaks and every
  other character kept.
* :data:`T2S` — the one Traditional → Simplified table: the characters of administrative names,
  place names and report boilerplate seen on portals run through a 繁體 button. Not a general
  converter (``normalize_text`` uses OpenCC for whole Traditional texts); it never touches
  Simplified text.
* :func:`strip_pinyin` — annotations a site's conversion tool put after characters (鎮(zhèn)),
  checked to be pinyin syllables so real brackets ((一), (2019), APP(app)) stay.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "BLANKS",
    "CJK_RANGES",
    "PINYIN_LETTERS",
    "T2S",
    "TRADITIONAL",
    "fold",
    "fold_text",
    "fold_width",
    "is_pinyin_syllable",
    "remove_syllables",
    "strip_pinyin",
    "strip_pinyin_counted",
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
    # table labels (行政強制, 政府集中採購, 執法案卷, 繳納費用, 當事人, 違法)
    "強强採采執执繳缴當当違违"
)

T2S: dict[str, str] = dict(zip(_T2S_PAIRS[0::2], _T2S_PAIRS[1::2], strict=True))
# Any character of the table: counting them tells a Traditional text from a Simplified one.
TRADITIONAL = re.compile("[" + "".join(T2S) + "]")

# Full-width ASCII (！ to ～), the ideographic space and the no-break space.
_WIDTH = {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "\xa0": " "}
_WIDTH_RE = re.compile("[\uff01-\uff5e\u3000\xa0]")

# Whitespace and what stands for it in a label: '?' mojibake where a no-break space was,
# zero-width spaces and BOMs (NFKC keeps those).
BLANKS = re.compile(r"[\s\u00a0\u3000?\u200b\ufeff]+")

# Pinyin a conversion tool put after a character: 鎮(zhèn), 設(shè), 網(wǎng). The bracket's
# content is checked to be one pinyin syllable, so (app), (一) and (2019) stay.
CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
PINYIN_LETTERS = "a-zà-ɏḿ"
_PINYIN = re.compile(rf"(?<=[{CJK_RANGES}])[(（]([{PINYIN_LETTERS}]{{1,6}})[)）]")
_TONED = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]")
_SYLLABLE = re.compile(
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|iao|ian|uai|uan|ai|ei|ui|ao|ou|iu|ie|ve|ue|er"
    r"|an|en|in|un|vn|ia|ua|uo|a|o|e|i|u|v)"
)


# Regex substitution rather than str.translate: the text is mostly untouched, and a
# C-level scan with few callbacks is many times faster than translate's per-character
# dictionary look-ups on non-ASCII text.


def to_simplified(text: str) -> str:
    """Map the Traditional characters of :data:`T2S` to Simplified; leave the rest."""
    return TRADITIONAL.sub(lambda m: T2S[m.group(0)], text)


def fold_width(text: str) -> str:
    """Full-width ASCII to ASCII (２０２２ → 2022, （ → (, ： → :); U+3000 and NBSP to a space."""
    return _WIDTH_RE.sub(lambda m: _WIDTH[m.group(0)], text)


@lru_cache(maxsize=4096)
def is_pinyin_syllable(word: str, *, toneless: bool) -> bool:
    """``word`` is one pinyin syllable (with a tone mark unless ``toneless``)."""
    if not toneless and not _TONED.search(word):
        return False
    bare = unicodedata.normalize("NFD", word.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v")
                                 .replace("ǚ", "v").replace("ǜ", "v"))
    bare = "".join(ch for ch in bare if not unicodedata.combining(ch))
    return _SYLLABLE.fullmatch(bare) is not None


def remove_syllables(pattern: re.Pattern[str], text: str, *, toneless: bool) -> tuple[str, int]:
    """The matches of ``pattern`` whose group 1 is one pinyin syllable removed, and how many
    (other matches stay: (app), (一))."""
    count = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        if is_pinyin_syllable(m.group(1), toneless=toneless):
            count += 1
            return ""
        return m.group(0)

    return pattern.sub(sub, text), count


def strip_pinyin_counted(text: str) -> tuple[str, int]:
    """Pinyin annotations removed, and how many. Toneless syllables (縣(xian)) are taken only
    where the same text also carries tone-marked ones, the sign that a conversion tool ran."""
    if "(" not in text and "（" not in text:
        return text, 0
    text, count = remove_syllables(_PINYIN, text, toneless=False)
    if count and _PINYIN.search(text):
        text, more = remove_syllables(_PINYIN, text, toneless=True)
        count += more
    return text, count


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations such as ``鎮(zhèn)`` → ``鎮``; real brackets stay."""
    return strip_pinyin_counted(text)[0]


def fold_text(text: str) -> str:
    """Running text for reading names, years and dates: pinyin stripped, Traditional →
    Simplified, width folded; spaces and line breaks kept."""
    return fold_width(to_simplified(strip_pinyin(text)))


def fold(text: str) -> str:
    """A label or title for matching: NFKC (full-width digits and brackets → ASCII, ``…`` →
    ``...``), pinyin stripped, blanks removed, Traditional → Simplified."""
    return BLANKS.sub("", fold_text(unicodedata.normalize("NFKC", text)))
