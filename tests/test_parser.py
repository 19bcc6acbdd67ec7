"""Tests for `searchkit.parser`: the sample issues record by record, encodings, bad input,
files as other converters would write them, and properties that hold for any input.

The expectations were read off the files in `seeds/` by hand, not copied from the parser:
the table of contents gives each issue's sections and titles, the lines in parentheses the
bylines, and every page-break cut (a paragraph that stops mid-sentence and goes on after a
blank line) is listed in `CUTS` with the phrase that spans it. The golden files under
`tests/golden/parser/` hold every record in full; after a deliberate change, regenerate them
with `SEARCHKIT_UPDATE_GOLDEN=1 python -m pytest tests/test_parser.py` and read the diff.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.errors import ParseError
from searchkit.normalize import fold_width
from searchkit.parser import (
    BRIEF_SECTION,
    CITY_LEVEL,
    DISTRICT_NAMES,
    KNOWN_SECTIONS,
    Issue,
    decode,
    district_of,
    parse_byline,
    parse_file,
    parse_text,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLDEN = Path(__file__).resolve().parent / "golden" / "parser"
SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))
ISSUE_697, ISSUE_692, ISSUE_689, ISSUE_710 = SEED_NAMES

# --------------------------------------------------------------------------- expectations

#: name -> (issue, issue_total, date, editor), from each header and footer.
HEADERS = {
    ISSUE_697: (9, 697, "2024-06-28", "杨青青"),
    ISSUE_692: (4, 692, "2024-04-12", "杨青青"),
    ISSUE_689: (1, 689, "2024-03-01", "杨青青"),
    ISSUE_710: (4, 710, "2025-06-19", "杨青青"),
}

#: name -> records per section, counted in each table of contents (信息摘登 N 则 for briefs).
SECTION_COUNTS = {
    ISSUE_697: {"要闻速递": 2, "助力攻坚": 1, "监督纵横": 2, "情况交流": 3, "信息摘登": 4},
    ISSUE_692: {"要闻速递": 1, "助力攻坚": 4, "代表工作": 1, "情况交流": 3, "信息摘登": 5},
    ISSUE_689: {"要闻速递": 2, "助力攻坚": 3, "代表工作": 3, "情况交流": 1, "信息摘登": 4},
    ISSUE_710: {"要闻速递": 2, "监督纵横": 2, "代表工作": 1, "情况交流": 3, "信息摘登": 4},
}

# Every record: id, kind (a/b), section, district, title, org, authors, body start, body end.
# Titles are the headings with layout spaces removed and the fullwidth colon folded; the
# district comes from the heading (697-03's byline says 桐庐市, the heading 桐庐县).
RECORDS = [
    # 000: 第 9 期(总第 697 期)
    ("697-01", "a", "要闻速递", "市本级", "市人大常委会认真贯彻落实全省人大代表工作座谈会精神", "代表工委", ("李兴军",), "全省人大代表工作座谈", "例贡献人大代表力量。"),
    ("697-02", "a", "要闻速递", "市本级", "市人大常委会积极推动西湖龙井“金字招牌”越擦越亮", "农工委", ("刘策",), "为推进西湖龙井茶产业", "统文化更好传承传播。"),
    ("697-03", "a", "助力攻坚", "桐庐县", "桐庐县:强化调查研究 助力县域高质量发展", "桐庐市人大常委会办公室", ("鄧珍",), "桐庐县人大常委会充分", "创高质量发展新局面。"),
    ("697-04", "a", "监督纵横", "上城区", "上城区:绘好“三张图”推动医疗保障联动监督落地见效", "上城区人大常委会办公室", ("刘铭锐", "蔡静"), "今年以来,上城区人大", "察出实情、督出实效。"),
    ("697-05", "a", "监督纵横", "临平区", "临平区:抓实“四个深化”推动财经监督提质增效", "临平区人大常委会办公室", ("唐晨雨",), "临平区人大常委会紧扣", ",不断提升监督实效。"),
    ("697-06", "a", "情况交流", "西湖区", "西湖区:聚焦三个“更” 助力打造“青年留杭第一区”", "西湖区人大常委会办公室", ("李寄", "方敏杰"), "西湖区人大常委会第一", "成功牵手500余对。"),
    ("697-07", "a", "情况交流", "余杭区", "余杭区:三举措高效贯彻落实省市人大代表工作座谈会精神", "余杭区人大常委会办公室", ("王培栋",), "余杭区人大常委会围绕", "代表履职的浓厚氛围。"),
    ("697-08", "a", "情况交流", "临安区", "临安区:持续发力为生态文明建设谋良法", "临安区人大常委会办公室", ("吴一臻",), "6月26日,市十四届", "百姓的钱袋子鼓起来。"),
    ("697-09", "b", "信息摘登", "拱墅区", "", "拱墅区人大常委会办公室", ("张洵涛",), "拱墅区人大常委会将政", ",打造最优政务环境。"),
    ("697-10", "b", "信息摘登", "滨江区", "", "滨江区人大常委会浦沿街道工委", ("陈杭露",), "滨江区人大常委会浦沿", "济高质量发展新模式。"),
    ("697-11", "b", "信息摘登", "钱塘区", "", "钱塘区人大常委会监察法工委", ("蔡赫",), "钱塘区人大常委会创新", "3”常态化学法体系。"),
    ("697-12", "b", "信息摘登", "建德市", "", "建德市人大常委会办公室", ("徐恒潮",), "建德市人大常委会围绕", "“管好钱”工作职责。"),
    # 001: 第 4 期(总第 692 期)
    ("692-01", "a", "要闻速递", "市本级", "市人大常委会出台全国首部数字贸易领域地方性法规", "预算工委", ("吴颖",), "市人大常委会充分发挥", "入全球数字贸易体系。"),
    ("692-02", "a", "助力攻坚", "上城区", "上城区:清波街道突出“早、实、精”助推民生实事项目办好办实", "上城区人大常委会办公室", ("曹珊珊",), "上城区人大常委会清波", "角,激发人大代表履职"),
    ("692-03", "a", "助力攻坚", "西湖区", "西湖区:古荡街道“四式”工作法助力未来社区建设", "西湖区人大常委会", ("李寄", "陆卫清"), "西湖区人大常委会古荡", "车位 170 余个。"),
    ("692-04", "a", "助力攻坚", "临安区", "临安区:“三个聚”助推乡村医疗优质共享", "临安区人大常委会教科文卫民宗侨工委", ("潘忠华",), "临安区人大常委会围绕", "优秀案例等荣誉奖项。"),
    ("692-05", "a", "助力攻坚", "建德市", "建德市:四举措助力“幸福方桌”扩面提质", "建德市人大常委会办公室", ("段丹妮",), "建德市人大常委会聚焦", "地”超 200 亩。"),
    ("692-06", "a", "代表工作", "临平区", "临平区:“三多三聚”推动代表高效履职", "临平区人大常委会办公室", ("郑丽芳",), "临平区人大常委会始终", "建议办理工作满意度。"),
    ("692-07", "a", "情况交流", "余杭区", "余杭区:闲林街道“站点融合”构建“立法+民意”双向互动新模式", "余杭区人大常委会办公室", ("王培栋",), "余杭区人大常委会闲林", "法的“最后一公里”。"),
    ("692-08", "a", "情况交流", "钱塘区", "钱塘区:“三聚焦”凝聚专家力量 提升依法履职实效", "钱塘区人大常委会办公室", ("尹仕豪",), "钱塘区人大常委会充分", "职提供重要专业支撑。"),
    ("692-09", "a", "情况交流", "富阳区", "富阳区:用好“三步法”让审议意见落地有声", "富阳区人大常委会办公室", ("刘哲",), "富阳区人大常委会将“", "监督“闭环化”管理。"),
    ("692-10", "b", "信息摘登", "拱墅区", "", "拱墅区人大常委会办公室", ("宋玉凤",), "拱墅区人大常委会积极", "为中心”的规划理念。"),
    ("692-11", "b", "信息摘登", "滨江区", "", "滨江区人大常委会监察和法制司法工委", ("陈洁茹",), "滨江区人大常委会深入", "化提升贡献人大力量。"),
    ("692-12", "b", "信息摘登", "萧山区", "", "萧山区人大常委会办公室", ("邵羽晨", "郭彧杰"), "萧山区人大常委会立足", "村民超6500人次。"),
    ("692-13", "b", "信息摘登", "桐庐县", "", "桐庐县人大常委会办公室", ("王丽芬",), "桐庐县人大常委会聚焦", "营商环境“新高地”。"),
    ("692-14", "b", "信息摘登", "淳安县", "", "淳安县人大常委会农业农村工委", ("滕淑燕",), "淳安县人大常委会坚持", "工作,实现共同富裕。"),
    # 002: 第 1 期(总第 689 期), with markdown marks
    ("689-01", "a", "要闻速递", "市本级", "市人大常委会“三个力”推动备案审查工作高质量发展", "法工委", ("曾庆元",), "市人大常委会坚决落实", "效果和社会效果并重。"),
    ("689-02", "a", "要闻速递", "市本级", "市人大常委会首次开展民生实项目“回头看”督查", "代表工委", ("黄炯尔",), "为充分发挥代表主体作", "实施工作进一步优化。"),
    ("689-03", "a", "助力攻坚", "上城区", "上城区:服务“在一线” 护航经济“开门红”", "上城区人大常委会办公室", ("蔡静", "张雄杰"), "今年以来,上城区人大", "企业 140 余家。"),
    ("689-04", "a", "助力攻坚", "萧山区", "萧山区:深化助企服务 推动营商环境优化提升", "萧山区人大常委会办公室", ("郭彧杰",), "萧山区人大常委会认真", "企服务攻坚取得实效。"),
    ("689-05", "a", "助力攻坚", "钱塘区", "钱塘区:组建人大代表“营商环境体验官”助力“一号改革工程”", "钱塘区人大常委会办公室", (), "钱塘区人大常委会紧扣", "微改革”省级项目库。"),
    ("689-06", "a", "代表工作", "西湖区", "西湖区:“三个力”做活代表工作", "西湖区人大常委会", ("李寄", "斯董瑾"), "西湖区人大常委会坚持", "作用得到进一步发挥。"),
    ("689-07", "a", "代表工作", "余杭区", "余杭区:“三举措”建强用好代表联络站", "余杭区人大常委会办公室", ("符腾", "胡彦斐"), "近年来,余杭区人大常", "络站,扩大公众参与。"),
    ("689-08", "a", "代表工作", "淳安县", "淳安县:“片区组团”履职新模式激发代表履职热情", "淳安县人大常委会代表工委", ("闻云发",), "淳安县人大常委会积极", "秀代表评选主要依据。"),
    ("689-09", "a", "情况交流", "建德市", "建德市:新安江街道多措并举扎实践行全过程人民民主", "建德市人大常委会新安江街道工委", ("叶孝富",), "近年来,建德市人大常", "式建议办理工作机制。"),
    ("689-10", "b", "信息摘登", "临平区", "", "临平区人大常委会办公室", ("洪舒瑶",), "临平区人大常委会扎实", "相关意见建议37条。"),
    ("689-11", "b", "信息摘登", "富阳区", "", "富阳区人大常委会办公室", ("毛晓红",), "富阳区人大常委会将关", "心理健康教育新路径。"),
    ("689-12", "b", "信息摘登", "临安区", "", "临安区人大常委会教科文卫民宗侨工委", ("潘忠华",), "临安区人大常委会紧紧", "扣子”贡献人大力量。"),
    ("689-13", "b", "信息摘登", "桐庐县", "", "桐庐县人大常委会办公室", ("仇斐菲",), "桐庐县人大常委会高度", "创业环境进一步提升。"),
    # 003: 第 4 期(总第 710 期)
    ("710-01", "a", "要闻速递", "市本级", "市人大常委会“四督联动”推动监督工作走深走实", "办公厅", (), "为贯彻中央和省市委关", "督工作更加精准有效。"),
    ("710-02", "a", "要闻速递", "市本级", "市人大常委会部署开展 2025 年代表主题活动", "代表工委", ("李兴军",), "市人大常委会第一时间", "题活动有序高效开展。"),
    ("710-03", "a", "监督纵横", "上城区", "上城区:“三紧盯”增强监察司法监督效能", "上城区人大常委会办公室", ("蔡静",), "近年来,上城区人大常", "创造条件、提供保障。"),
    ("710-04", "a", "监督纵横", "西湖区", "西湖区:“三个一”联动助推强化历史街区活化保护", "西湖区人大常委会办公室", ("钱苏晚",), "西湖区人大常委会深入", "意在五里塘深度交融。"),
    ("710-05", "a", "代表工作", "临平区", "临平区:“五式工作法”推动代表主题活动走深走实", "临平区人大常委会办公室", ("郑丽芳",), "临平区人大常委会扎实", "成果、实践案例6项。"),
    ("710-06", "a", "情况交流", "萧山区", "萧山区:三举措助力守护校园“舌尖上的安全”", "萧山区人大常委会办公室", ("娄康",), "萧山区人大常委会聚焦", ",督促问题解决销号。"),
    ("710-07", "a", "情况交流", "富阳区", "富阳区:多维发力助推管道燃气进村入户", "富阳区人大常委会办公室", (), "近年来,富阳区人大常", "实效度、增强幸福感。"),
    ("710-08", "a", "情况交流", "临安区", "临安区:多措并举助推职业教育高质量发展", "临安区人大常委会办公室", ("郑祎",), "2022年职业教育法", "高职业教育教学水平。"),
    ("710-09", "b", "信息摘登", "余杭区", "", "余杭区人大常委会办公室", ("英颖",), "余杭区人大常委会以打", "余杭的亮眼文化名片。"),
    ("710-10", "b", "信息摘登", "钱塘区", "", "钱塘区人大常委会社会建设工委", ("王建芬",), "钱塘区人大常委会围绕", "动关系贡献人大力量。"),
    ("710-11", "b", "信息摘登", "淳安县", "", "淳安县人大常委会办公室", ("汪春娟",), "淳安县人大常委会将备", "升备案审查工作质效。"),
    ("710-12", "b", "信息摘登", "桐庐县", "", "桐庐县人大常委会办公室", ("桂向政",), "桐庐县人大常委会城南", "推动产业高质量发展。"),
]

#: Where the table of contents words a title differently from the heading over the article.
TOC_TITLES = {
    "697-07": "余杭区:三举措贯彻落实省市人大代表工作座谈会精神",
    "692-02": "上城区:清波街道突出“早、实、精”助推民生实项目办好办实",
    "692-06": "临平区:“三多三聚”推动代表高质效履职",
    "689-02": "市人大常委会首次开展民生实事项目“回头看”督查",
    "710-04": "西湖区:“三个一”联动强化历史街区保护",
}

#: Every page-break cut in the samples (file line of the cut), as the phrase spanning it.
CUTS = {
    "697-01": ["6月18日至19日,市人大常委会组织召开"],  # line 31
    "697-02": ["支持部分村社"],  # 45
    "697-03": ["组长的专项课题组"],  # 57
    "697-04": ["工作开展情况"],  # 73
    "697-05": ["加大统筹兼顾", "深化与纪检、司法等"],  # 85, 93
    "697-06": ["环之江文化等五大"],  # 105
    "697-07": ["区人大常委会党组会议", "推进代表履职数字化"],  # 117, 123
    "697-08": ["在充分总结其他自然保护区体制"],  # 133
    "692-01": ["重要部门的职责作出"],  # 32
    "692-02": ["专长优势,组建"],  # 44
    "692-03": ["对老年食堂选址、停车位增加"],  # 60
    "692-04": ["充分依托全过程人民民主"],  # 76
    "692-05": ["走亲连心、和美乡风"],  # 86
    "692-06": ["人大代表带头讲、专业团队"],  # 106
    "692-07": ["在民意征集"],  # 120
    "692-08": ["社会建设专家组、城建环保专家组"],  # 132
    "692-09": ["落实情况进行满意度测评"],  # 148
    "689-01": ["多次组织赴有关区"],  # 32
    "689-02": ["深化民生实项目人大代表票决制"],  # 44
    "689-04": ["攻坚领导小组组长"],  # 72
    "689-05": ["最佳营商环境看钱塘”品牌", "政务服务“兜底办”"],  # 82, 90 (three blank lines)
    "689-06": ["共组织开展各类主题视察"],  # 104
    "689-07": ["有效开展实时互动"],  # 116
    "689-08": ["县民生实事项目监督任务"],  # 134
    "689-09": ["办理情况和结果。让民知事"],  # 150
    "710-01": ["或通过双向参与"],  # 31
    "710-02": ["培育壮大新兴产业"],  # 47
    "710-03": ["上一年度法治政府", "全程参与年度监察司法监督,提出接地气"],  # 59, 65
    "710-04": ["检察建议,明确修缮"],  # 75
    "710-05": ["组织代表深入企业车间"],  # 93
    "710-06": ["守护校园“舌尖上的安全”", "加强宣传教育"],  # 105, 113
    "710-07": ["问政内容在会后"],  # 125
    "710-08": ["区域经济、培养技能人才", "进职业高中活动"],  # 135, 143
    "710-11": ["谋划推进,按照"],  # 157: a brief
}

#: name -> paragraphs per record, counted in the files (a cut paragraph counts once).
PARAGRAPHS = {
    "697-01": 4, "697-05": 5, "692-03": 5, "692-05": 5, "689-05": 4, "710-01": 5, "710-05": 6,
}

#: 692-02 ends mid-sentence in the source itself (…激发人大代表履职) right before its byline.
UNFINISHED = {"692-02"}

#: Strings of the header, table of contents and footer that no record may contain.
FRAME = ("目 录", "目录", "(普 刊)", "普 刊", "总第", "研究室编", "本期责任编辑", "送:", "电话:", "信息摘登", "0571")


def records_of(name: str):
    return [r for r in RECORDS if r[0].startswith(str(HEADERS[name][1]))]


# --------------------------------------------------------------------------- helpers


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def issues() -> dict[str, Issue]:
    return {name: parse_file(SEEDS / name, source=f"seeds/{name}") for name in SEED_NAMES}


def write(tmp_path: Path, data: bytes | str, name: str = "issue.txt") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def essentials(record, spaced_titles: bool = True) -> tuple:
    """What a record says, whatever the file looked like: layout whitespace and source aside.

    Where a TOC title was wrapped, whether the title had a space at the wrap is lost with
    the file's layout; `spaced_titles=False` compares titles without their spaces."""
    title, toc_title = (record.title, record.toc_title) if spaced_titles else (compact(record.title), compact(record.toc_title))
    return (record.id, record.kind, record.section, record.district, title, toc_title,
            record.org, record.authors, compact(record.body))


def without_source(record) -> dict:
    d = record.to_dict()
    del d["source"]
    return d


def cleaned_compact(text: str) -> str:
    """The file's text as a record may quote it: in its own characters (fullwidth stays
    fullwidth), markdown marks and whitespace gone."""
    out = []
    for line in re.split(r"\r\n|\r|\n", text):
        line = line.strip()
        if re.fullmatch(r"([-*_=]\s*){3,}", line):
            continue
        out.append(re.sub(r"^#{1,6}\s*", "", line).replace("**", ""))
    return compact("".join(out))


def assert_from_file(issue: Issue, text: str) -> None:
    """No record holds text the file does not have (titles, bodies and bylines are its own)."""
    whole = cleaned_compact(text)
    for r in issue.records:
        for value in (r.title, r.body, r.org, *r.authors):
            assert compact(value) in whole, (r.id, value[:40])


def assert_frameless(issue: Issue) -> None:
    for r in issue.records:
        for value in (r.title, r.body, r.org, *r.authors):
            for frame in FRAME:
                assert frame not in value, (r.id, frame)
            assert not any(line.startswith("- ") for line in value.split("\n")), r.id
            assert "**" not in value and "#" not in value and "---" not in value, r.id


# --------------------------------------------------------------------------- the sample issues


def golden_of(issue: Issue) -> dict:
    return {
        "issue": {"publication": issue.publication, "edition": issue.edition, "issue": issue.issue,
                  "issue_total": issue.issue_total, "date": issue.date, "editor": issue.editor,
                  "warnings": list(issue.warnings)},
        "records": [r.to_dict() for r in issue.records],
    }


@pytest.mark.parametrize("name", SEED_NAMES)
def test_records_match_golden_file(issues, name):
    path = GOLDEN / f"{Path(name).stem}.json"
    got = golden_of(issues[name])
    if os.environ.get("SEARCHKIT_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SEED_NAMES)
def test_header_facts(issues, name):
    issue = issues[name]
    assert (issue.issue, issue.issue_total, issue.date, issue.editor) == HEADERS[name]
    assert (issue.publication, issue.edition) == ("杭州人大信息", "普刊")
    assert issue.warnings == ()
    for r in issue.records:
        assert (r.publication, r.issue, r.issue_total, r.date) == ("杭州人大信息", *HEADERS[name][:3])
        assert r.source == f"seeds/{name}"


@pytest.mark.parametrize("name", SEED_NAMES)
def test_counts_per_section_follow_the_table_of_contents(issues, name):
    counts: dict[str, int] = {}
    for r in issues[name].records:
        counts[r.section] = counts.get(r.section, 0) + 1
    assert counts == SECTION_COUNTS[name]
    # In document order: the articles section by section as the TOC lists them, then the briefs.
    sections = [r.section for r in issues[name].records]
    assert sections == sorted(sections, key=list(SECTION_COUNTS[name]).index)
    assert all((r.kind == "brief") == (r.section == BRIEF_SECTION) for r in issues[name].records)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_record(issues, name):
    got = issues[name].records
    want = records_of(name)
    assert [r.id for r in got] == [w[0] for w in want]
    for r, (rid, kind, section, district, title, org, authors, start, end) in zip(got, want):
        assert r.seq == int(rid[-2:])
        # The expectations are written with halfwidth punctuation; records keep the file's own.
        assert (r.kind, r.section, r.district, fold_width(r.title), r.org, r.authors) == (
            {"a": "article", "b": "brief"}[kind], section, district, title, org, authors), rid
        assert fold_width(r.toc_title) == TOC_TITLES.get(rid, ""), rid
        body = fold_width(r.body)
        assert body.startswith(start) and body.endswith(end), rid


def test_headings_with_stray_spaces_or_two_lines_become_one_title(issues):
    titles = {r.id: r.title for issue in issues.values() for r in issue.records}
    # `全省 人大代表工作座谈会精神`, `西湖龙井 “金字招牌”`: spaces the layout left
    assert titles["697-01"] == "市人大常委会认真贯彻落实全省人大代表工作座谈会精神"
    assert titles["697-02"] == "市人大常委会积极推动西湖龙井“金字招牌”越擦越亮"
    # `凝聚专家力量 提升 依法履职实效`: the first space is the title's own (the TOC has it)
    assert titles["692-08"] == "钱塘区：“三聚焦”凝聚专家力量 提升依法履职实效"
    # `# 淳安县：“片区组团”履职新模式` / `## 激发代表履职热情`
    assert titles["689-08"] == "淳安县：“片区组团”履职新模式激发代表履职热情"
    assert titles["689-09"] == "建德市：新安江街道多措并举扎实践行全过程人民民主"
    # Spaces around a number are the title's own too.
    assert titles["710-02"] == "市人大常委会部署开展 2025 年代表主题活动"


@pytest.mark.parametrize("rid", sorted(CUTS))
def test_page_break_cuts_are_rejoined(issues, rid):
    record = next(r for issue in issues.values() for r in issue.records if r.id == rid)
    for phrase in CUTS[rid]:
        assert phrase in record.body, phrase


def test_697_tonglu_article_holds_the_rejoined_phrase(issues):
    tonglu = next(r for r in issues[ISSUE_697].records if r.district == "桐庐县")
    assert "专项课题组" in tonglu.body


def test_every_paragraph_ends_a_sentence(issues):
    """Once cuts are rejoined, a paragraph ends a sentence, except where the source stops short."""
    for issue in issues.values():
        for r in issue.records:
            paragraphs = r.body.split("\n")
            assert all(p.strip() == p and p for p in paragraphs), r.id
            last = {p.rstrip("”’)》")[-1] for p in paragraphs}
            if r.id in UNFINISHED:
                assert r.body.endswith("激发人大代表履职")
                last.discard("职")
            assert last <= set("。！？"), (r.id, last)
            if r.id in PARAGRAPHS:
                assert len(paragraphs) == PARAGRAPHS[r.id], r.id


def test_no_header_toc_footer_or_markdown_in_any_record(issues):
    for issue in issues.values():
        assert_frameless(issue)


def test_markdown_marks_are_dropped_from_issue_689(issues):
    records = issues[ISSUE_689].records
    # `**一是完善工作机制,形成协同联动审查合力。**市人大常委会…`
    assert "\n一是完善工作机制,形成协同联动审查合力。市人大常委会各部门" in records[0].body
    # `**临平区人大常委会**扎实有序…`: a brief's bold lead-in
    assert records[9].body.startswith("临平区人大常委会扎实有序开展")
    assert issues[ISSUE_689].publication == "杭州人大信息"


def test_bylines(issues):
    by_id = {r.id: r for issue in issues.values() for r in issue.records}
    # Padded two-character names: `蔡 静 张雄杰`, `李 寄 斯董瑾`, `符 腾 胡彦斐`, `娄 康`, `郑 祎`, `英 颖`.
    assert by_id["689-03"].authors == ("蔡静", "张雄杰")
    assert by_id["689-06"].authors == ("李寄", "斯董瑾")
    assert by_id["689-07"].authors == ("符腾", "胡彦斐")
    assert [by_id[i].authors for i in ("710-03", "710-06", "710-08", "710-09")] == [
        ("蔡静",), ("娄康",), ("郑祎",), ("英颖",)]
    # No person: `(钱塘区人大常委会办公室)`, `(办公厅)`, `(富阳区人大常委会办公室)`.
    assert (by_id["689-05"].org, by_id["689-05"].authors) == ("钱塘区人大常委会办公室", ())
    assert (by_id["710-01"].org, by_id["710-01"].authors) == ("办公厅", ())
    assert (by_id["710-07"].org, by_id["710-07"].authors) == ("富阳区人大常委会办公室", ())
    # Fullwidth parentheses: `（余杭区人大常委会办公室 王培栋）`.
    assert (by_id["692-07"].org, by_id["692-07"].authors) == ("余杭区人大常委会办公室", ("王培栋",))


FULLWIDTH = re.compile("[\uff01-\uff5e]")


def test_records_keep_the_files_own_punctuation(issues):
    """Width is folded to recognise the layout and to match, never in what records hold: a
    researcher quoting a record quotes the bulletin."""
    # `上城区：绘好…` in the file (fullwidth colon); the TOC line has `上城区:绘好…`, and they are one title.
    r = issues[ISSUE_697].records[3]
    assert r.title.startswith("上城区：绘好") and r.toc_title == ""
    assert r.body.startswith("今年以来，上城区人大常委会")
    # Every fullwidth character of a file is in its records as often as in its articles and briefs.
    for name, issue in issues.items():
        text = seed_text(name)
        held = "".join(v for r in issue.records for v in (r.title, r.body, r.org, *r.authors))
        assert FULLWIDTH.search(held), name
        whole = cleaned_compact(text)
        for r in issue.records:
            for value in (r.title, r.body, r.org, *r.authors):
                assert compact(value) in whole, (r.id, value[:40])


@pytest.mark.parametrize("content, org, authors", [
    ("代表工委 李兴军", "代表工委", ("李兴军",)),
    ("西湖区人大常委会办公室 李寄 方敏杰", "西湖区人大常委会办公室", ("李寄", "方敏杰")),
    ("上城区人大常委会办公室 蔡 静 张雄杰", "上城区人大常委会办公室", ("蔡静", "张雄杰")),
    ("萧山区人大常委会办公室 娄 康", "萧山区人大常委会办公室", ("娄康",)),
    ("上城区人大常委会办公室", "上城区人大常委会办公室", ()),
    ("办公厅", "办公厅", ()),
    ("李兴军", "", ("李兴军",)),
    ("代表工委:李兴军", "代表工委", ("李兴军",)),
    ("杭州日报社新闻中心 王 一、张三", "杭州日报社新闻中心", ("王一", "张三")),
    ("浙江大学公共管理学院 张三", "浙江大学公共管理学院", ("张三",)),  # long unit, no usual ending
])
def test_parse_byline(content, org, authors):
    assert parse_byline(content) == (org, authors)


@pytest.mark.parametrize("title, body, org, district", [
    ("桐庐县:强化调查研究", "", "桐庐市人大常委会办公室", "桐庐县"),  # the heading wins over a typo
    ("市人大常委会出台…", "", "预算工委", CITY_LEVEL),
    ("", "拱墅区人大常委会将…", "拱墅区人大常委会办公室", "拱墅区"),
    ("", "杭州市人大常委会…", "", CITY_LEVEL),
    ("", "近日,有关单位…", "建德市人大常委会办公室", "建德市"),
    ("关于 …", "", "", CITY_LEVEL),
])
def test_district_of(title, body, org, district):
    assert district_of(title, body, org) == district
    assert district in DISTRICT_NAMES + (CITY_LEVEL,)


def test_known_sections_cover_the_samples(issues):
    assert {r.section for issue in issues.values() for r in issue.records} <= set(KNOWN_SECTIONS)


# --------------------------------------------------------------------------- encodings

_HALF, _FULL = ":,;()!?", "：，；（）！？"
_SWAP = str.maketrans(_HALF + _FULL, _FULL + _HALF)

ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8 with BOM": lambda t: t.encode("utf-8-sig"),
    "gb18030": lambda t: t.encode("gb18030"),
    "gbk": lambda t: t.encode("gbk"),
    "utf-16 with BOM": lambda t: t.encode("utf-16"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "cr only": lambda t: t.replace("\n", "\r").encode("utf-8"),
    "gbk + crlf": lambda t: t.replace("\n", "\r\n").encode("gbk"),
    "fullwidth/halfwidth swapped": lambda t: t.translate(_SWAP).encode("utf-8"),
    "trailing spaces and tabs": lambda t: t.replace("\n", " \t\n").encode("utf-8"),
    "ideographic-space indent": lambda t: re.sub(r"(?m)^(?=\S)", "\u3000\u3000", t).encode("utf-8"),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("name", SEED_NAMES)
def test_records_are_the_same_whatever_the_encoding(tmp_path, issues, name, encoding):
    path = write(tmp_path, ENCODINGS[encoding](seed_text(name)))
    issue = parse_file(path)
    assert issue.warnings == ()
    want = [without_source(r) for r in issues[name].records]
    if encoding == "fullwidth/halfwidth swapped":  # the same records, in the swapped characters
        want = [{k: (v.translate(_SWAP) if isinstance(v, str) and k in ("title", "toc_title", "body", "org") else
                     [a.translate(_SWAP) for a in v] if k == "authors" else v) for k, v in d.items()} for d in want]
    assert [without_source(r) for r in issue.records] == want
    assert {r.source for r in issue.records} == {str(path)}
    assert (issue.issue, issue.issue_total, issue.date, issue.editor) == HEADERS[name]


def test_gbk_is_not_mistaken_for_utf8():
    text = seed_text(ISSUE_697)
    assert decode(text.encode("gbk"), "x.txt") == text
    assert decode(text.encode("utf-8-sig"), "x.txt") == text


# --------------------------------------------------------------------------- bad input


def _not_bulletins() -> dict[str, bytes]:
    readme = "# searchkit\n\nFull-text search for **杭州人大信息**.\n\n```sh\npip install -e .\n```\n".encode()
    prose = "杭州市人大常委会召开会议。\n\n会议听取了有关工作报告,并进行了审议。\n".encode()
    return {
        "markdown readme": readme,
        "chinese prose": prose,
        "json": json.dumps({"issue": 697, "title": "杭州人大信息"}, ensure_ascii=False).encode(),
        "issue number far down": ("正文。\n" * 80 + "第 9 期(总第 697 期)\n2024 年 6 月 28 日\n").encode(),
    }


def _binaries() -> dict[str, bytes]:
    return {
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "gzip of an issue": gzip.compress(seed_text(ISSUE_697).encode("utf-8"), mtime=0),
        "random bytes without nul": bytes((i * 97 + 13) % 255 + 1 for i in range(4096)),
        "control characters": b"\x01\x02\x03\x04\x05\x06" * 200 + "第 9 期(总第 697 期)".encode(),
    }


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"   \n\t\r\n  \n", "empty file"),
    ("\u3000\n \n".encode("utf-8"), "empty file"),
    (b"\xef\xbb\xbf", "empty file"),
    (b"\xef\xbb\xbf\r\n\r\n", "empty file"),
])
def test_empty_files(tmp_path, data, reason):
    path = write(tmp_path, data)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.path == str(path)
    assert str(caught.value) == f"{path}: {reason}"


@pytest.mark.parametrize("kind", sorted(_binaries()))
def test_binary_files(tmp_path, kind):
    path = write(tmp_path, _binaries()[kind], "issue.bin")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert re.search("binary|encoding", caught.value.reason)


@pytest.mark.parametrize("kind", sorted(_not_bulletins()))
def test_text_that_is_not_a_bulletin(tmp_path, kind):
    path = write(tmp_path, _not_bulletins()[kind])
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert str(caught.value) == f"{path}: not a bulletin issue: no issue header (第 N 期(总第 M 期)) near the top"


def test_issue_without_a_valid_date_names_the_line(tmp_path):
    path = write(tmp_path, "杭州人大信息\n\n第 9 期(总第 697 期)\n\n2024 年 13 月 28 日\n")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert (caught.value.path, caught.value.line) == (str(path), 5)
    assert str(caught.value) == f"{path}:5: invalid date '2024 年 13 月 28 日'"
    path.write_text("杭州人大信息\n\n第 9 期(总第 697 期)\n\n目 录\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r":3: no issue date"):
        parse_file(path)


def test_folder_and_missing_file(tmp_path):
    with pytest.raises(ParseError, match="is a folder"):
        parse_file(tmp_path)
    with pytest.raises(ParseError) as caught:
        parse_file(tmp_path / "nope.txt", source="archive/nope.txt")
    assert str(caught.value).startswith("archive/nope.txt: cannot read")


# --------------------------------------------------------------------------- truncated issues


def _cut(text: str, marker: str, keep: int = 0) -> str:
    """The text up to `marker` (exclusive), plus `keep` characters of it."""
    at = text.index(marker)
    return text[: at + keep]


TRUNCATIONS = {
    # name: (cut text, complete records kept, last record partial?, warning fragments)
    "mid-article": (lambda t: _cut(t, "二是深化计划审查监督", 7), 4, True,
                    ["article missing: 情况交流 / 西湖区", "article missing: 情况交流 / 余杭区",
                     "article missing: 情况交流 / 临安区", "no byline after the last article (临平区",
                     "announces 4 briefs, found 0", "no footer"]),
    "mid-sentence, mid-line": (lambda t: _cut(t, "项课题组", 2), 2, True,
                               ["article missing: 监督纵横 / 上城区", "announces 4 briefs, found 0", "no footer"]),
    "before the briefs": (lambda t: _cut(t, "拱墅区人大常委会将"), 8, False,
                          ["announces 4 briefs, found 0", "no footer"]),
    "mid-brief": (lambda t: _cut(t, "钱塘区人大常委会创新", 20), 10, True,
                  ["text after the last byline", "announces 4 briefs, found 3", "no footer"]),
    "before the footer": (lambda t: _cut(t, "送："), 12, False, ["no footer"]),
    "in the footer": (lambda t: _cut(t, "本期责任编辑"), 12, False, []),
    "mid-heading": (lambda t: _cut(t, "临安区:持续发力为生态文明建设谋良法\n\n6月", 6), 7, True,
                    ["announces 4 briefs, found 0", "no footer"]),
    "in the table of contents": (lambda t: _cut(t, "- 情况交流"), 0, False,
                                 ["article missing: 要闻速递 / 市人大常委会认真", "no footer"]),
}


@pytest.mark.parametrize("case", sorted(TRUNCATIONS))
def test_truncated_issue_keeps_what_it_holds(tmp_path, issues, case):
    cut, complete, partial, warned = TRUNCATIONS[case]
    text = cut(seed_text(ISSUE_697))
    issue = parse_file(write(tmp_path, text))
    full = [without_source(r) for r in issues[ISSUE_697].records]
    got = [without_source(r) for r in issue.records]
    assert len(got) == complete + partial
    assert got[:complete] == full[:complete]
    if partial:
        last, whole = got[-1], full[complete]
        assert (last["id"], last["kind"], last["section"]) == (whole["id"], whole["kind"], whole["section"])
        assert compact(whole["body"]).startswith(compact(last["body"])) and last["body"] != whole["body"]
    for fragment in warned:
        assert any(fragment in w for w in issue.warnings), (fragment, issue.warnings)
    if case != "in the footer":
        assert issue.warnings
    assert issue.editor == ("" if "本期责任编辑" not in text else "杨青青")
    assert_from_file(issue, text)
    assert_frameless(issue)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("name", SEED_NAMES)
def test_truncated_in_the_middle_of_a_character(tmp_path, issues, name, encoding):
    text = seed_text(name)
    for fraction in (0.45, 0.8):
        at = int(len(text) * fraction)
        while text[at].isascii():
            at += 1
        # The first byte of a multi-byte character is the last byte of the file.
        cut = text[:at].encode(encoding) + text[at].encode(encoding)[:1]
        with pytest.raises(UnicodeDecodeError):
            cut.decode(encoding)
        issue = parse_file(write(tmp_path, cut))
        assert issue.issue_total == HEADERS[name][1]
        assert issue.records and any("no footer" in w for w in issue.warnings)
        assert_from_file(issue, cut.decode(encoding, errors="ignore"))
        full = issues[name].records
        assert [r.id for r in issue.records] == [r.id for r in full[: len(issue.records)]]


def test_truncated_inside_the_header_is_an_error(tmp_path):
    path = write(tmp_path, _cut(seed_text(ISSUE_697), "2024 年"))
    with pytest.raises(ParseError, match="no issue date"):
        parse_file(path)


# --------------------------------------------------------------------------- other converters
#
# Each sample rewritten the way another conversion tool might have written it. The lines'
# roles come from the samples' plain layout (see `line_roles`), not from the parser.

_BYLINE_LINE = re.compile(r"^[(（][^()（）]+[)）]$")
_LEAD_IN = re.compile(r"^((?:\*\*)?[一二三四五六七八九]是[^。]{2,40}。(?:\*\*)?)")
_BRIEF_UNIT = re.compile(r"^((?:\*\*)?\S{2,3}[区县市]人大常委会(?:\*\*)?)")


def line_roles(text: str, name: str) -> list[tuple[str, str]]:
    """(role, line) for every line of a sample: header, toc, heading, body, byline, footer, blank.

    In the samples the TOC ends with its 信息摘登 line and the footer starts at 送:; after
    the TOC and after each byline comes a heading (two if the second is marked `##`) while
    there are articles left, then the briefs."""
    articles = sum(1 for r in records_of(name) if r[1] == "a")
    roles: list[tuple[str, str]] = []
    state, pieces, expect_heading = "header", 0, False
    for line in text.split("\n"):
        bare = line.strip()
        if state == "header" and re.fullmatch(r"(#+\s*)?目\s*录", bare):
            state = "toc"
        if state == "body" and re.match(r"^送\s*[:：]", bare):
            state = "footer"
        if not bare or re.fullmatch(r"-{3,}", bare):
            roles.append(("blank", line))
        elif state in ("header", "toc", "footer"):
            roles.append((state, line))
            if state == "toc" and "信息摘登" in bare:
                state, expect_heading = "body", True
        elif _BYLINE_LINE.match(bare):
            roles.append(("byline", line))
            pieces += 1
            expect_heading = pieces < articles
        elif expect_heading or (_last_role(roles) == "heading" and bare.startswith("## ")):
            roles.append(("heading", line))
            expect_heading = False
        else:
            roles.append(("body", line))
    return roles


def _last_role(roles: list[tuple[str, str]]) -> str:
    return next((role for role, _ in reversed(roles) if role != "blank"), "")


def _unmark(line: str) -> str:
    return re.sub(r"^\s*#{1,6}\s*", "", line).replace("**", "")


def add_markdown(text: str, name: str) -> str:
    """Every mark a markdown converter might use: `#` headings, bold lead-ins, `---` rules."""
    out = []
    for role, line in line_roles(text, name):
        bare = _unmark(line.strip())
        if role == "header" and bare == "杭州人大信息":
            line = "# " + bare
        elif role == "toc" and re.fullmatch(r"目\s*录", bare):
            line = "## " + bare
        elif role == "toc":
            line = re.sub(r"^- (\S{4})\*\* ", r"- **\1** ", line)
        elif role == "heading":
            line = line if line.lstrip().startswith("#") else "## " + line
        elif role == "body":
            line = _LEAD_IN.sub(lambda m: "**" + m.group(1).replace("**", "") + "**", line)
            line = _BRIEF_UNIT.sub(lambda m: "**" + m.group(1).replace("**", "") + "**", line)
        elif role == "byline":
            line += "\n\n---"
        elif role == "footer" and re.match(r"^送", bare):
            line = "---\n\n" + line
        out.append(line)
    return "\n".join(out)


def strip_markdown(text: str, name: str) -> str:
    """No marks at all: plain TOC entries (`- 要闻速递 title`), plain headings, no rules."""
    out = []
    for role, line in line_roles(text, name):
        if re.fullmatch(r"\s*-{3,}\s*", line):
            continue
        out.append(_unmark(line).rstrip())
    return "\n".join(out)


def toc_blank_lines(text: str, name: str) -> str:
    """Blank lines between the table-of-contents entries."""
    return "\n".join(line + "\n" if role == "toc" else line for role, line in line_roles(text, name))


def hard_wrap(text: str, name: str, width: int = 23) -> str:
    """Paragraphs broken every `width` characters with single newlines."""
    out = []
    for role, line in line_roles(text, name):
        if role == "body" and len(line) > width:
            chunks = [line[i : i + width] for i in range(0, len(line), width)]
            assert not any(_BYLINE_LINE.match(c.strip()) for c in chunks)
            line = "\n".join(chunks)
        out.append(line)
    return "\n".join(out)


def wrap_toc(text: str, name: str, width: int = 24) -> str:
    """Table-of-contents lines longer than `width` broken over two or more lines."""
    out = []
    for role, line in line_roles(text, name):
        if role == "toc" and len(line.rstrip()) > width:
            line = "\n".join(line[i : i + width] for i in range(0, len(line.rstrip()), width))
        out.append(line)
    return "\n".join(out)


def wrap_headings(text: str, name: str, at: float = 1 / 3, sep: str = "\n") -> str:
    """Each one-line heading split over two lines `at` its length (marked ones as `#` + `##`)."""
    out = []
    roles = line_roles(text, name)
    for k, (role, line) in enumerate(roles):
        two_line = _last_role(roles[:k]) == "heading" or _last_role(roles[:k:-1]) == "heading"
        if role == "heading" and not two_line:
            marked = line.lstrip().startswith("#")
            bare = _unmark(line).strip()
            cut = max(1, round(len(bare) * at))
            first, second = bare[:cut].rstrip(), bare[cut:].lstrip()
            line = f"# {first}{sep}## {second}" if marked else f"{first}{sep}{second}"
        out.append(line)
    return "\n".join(out)


def fullwidth_bylines(text: str, name: str) -> str:
    return "\n".join(
        line.replace("(", "（").replace(")", "）") if role == "byline" else line for role, line in line_roles(text, name)
    )


def halfwidth_bylines(text: str, name: str) -> str:
    return "\n".join(
        line.replace("（", "(").replace("）", ")") if role == "byline" else line for role, line in line_roles(text, name)
    )


def extra_blank_lines(text: str, name: str) -> str:
    """Three blank lines wherever there is one, as some converters leave between blocks."""
    return re.sub(r"\n\n", "\n\n\n\n", text)


def no_blank_lines(text: str, name: str) -> str:
    """Not one blank line anywhere: single newlines between all blocks."""
    return re.sub(r"\n\s*\n+", "\n", text)


def bracketed_sections(text: str, name: str) -> str:
    """TOC entries as `【要闻速递】title`."""
    return re.sub(r"(?m)^- (\S{4})\*\* ?", r"【\1】", text)


def colon_sections(text: str, name: str) -> str:
    """TOC entries as `要闻速递：title`, no list mark, no bold."""
    return re.sub(r"(?m)^- (\S{4})\*\* ?", r"\1：", text)


def ideographic_spaces(text: str, name: str) -> str:
    """Ideographic spaces (U+3000) wherever the file has a space, as in bylines `(代表工委　李兴军)`."""
    return "\n".join(line.replace(" ", "\u3000") if role != "toc" else line for role, line in line_roles(text, name))


def form_feeds(text: str, name: str) -> str:
    """A form feed where a page break cut a paragraph."""
    out = []
    for role, line in line_roles(text, name):
        if role == "body" and not re.search(r"[。！？]\**[”’)]?\s*$", line):
            line += "\n\x0c"
        out.append(line)
    return "\n".join(out)


def header_reordered(text: str, name: str) -> str:
    """The date first, then the issue number, the compiler line last."""
    date = re.search(r"(?m)^\d{4} 年 \d+ 月 \d+ 日$", text).group(0)
    compiler = "杭州市人大常委会研究室编"
    text = text.replace(date + "\n", "").replace(compiler + "\n", "")
    return re.sub(r"(?m)^(第 \d+ 期.*)$", date + "\n\n\\1\n\n" + compiler, text, count=1)


def everything(text: str, name: str) -> str:
    for step in (add_markdown, toc_blank_lines, wrap_headings, hard_wrap, wrap_toc, fullwidth_bylines):
        text = step(text, name)
    return text


VARIANTS = {
    "markdown added": add_markdown,
    "markdown removed": strip_markdown,
    "blank lines between TOC entries": toc_blank_lines,
    "hard-wrapped paragraphs": hard_wrap,
    "hard-wrapped at 9": lambda t, n: hard_wrap(t, n, 9),
    "headings wrapped at a third": wrap_headings,
    "headings wrapped at two thirds, blank between": lambda t, n: wrap_headings(t, n, 2 / 3, "\n\n"),
    "headings wrapped in the middle, markdown added": lambda t, n: wrap_headings(add_markdown(t, n), n, 1 / 2),
    "headings wrapped, markdown removed": lambda t, n: wrap_headings(strip_markdown(t, n), n, 0.4),
    "headings wrapped after two characters": lambda t, n: wrap_headings(t, n, 0.08),
    "headings wrapped before the last two": lambda t, n: wrap_headings(t, n, 0.92, "\n\n"),
    "TOC lines wrapped": wrap_toc,
    "TOC lines wrapped at 16": lambda t, n: wrap_toc(t, n, 16),
    "fullwidth bylines": fullwidth_bylines,
    "halfwidth bylines": halfwidth_bylines,
    "extra blank lines": extra_blank_lines,
    "no blank lines": no_blank_lines,
    "TOC sections in brackets": bracketed_sections,
    "TOC sections with colons": colon_sections,
    "ideographic spaces": ideographic_spaces,
    "form feeds at page breaks": form_feeds,
    "header reordered": header_reordered,
    "all of it": everything,
    "all of it, markdown removed": lambda t, n: everything(strip_markdown(t, n), n),
}


TOC_WRAPPED = {"TOC lines wrapped", "TOC lines wrapped at 16", "all of it", "all of it, markdown removed"}


def test_line_roles_match_the_expectations():
    """The transforms above are only as good as the roles they rely on."""
    for name in SEED_NAMES:
        groups: list[str] = []
        previous = ""
        for role, line in line_roles(seed_text(name), name):
            if role == "heading":
                groups[-1:] = [groups[-1] + _unmark(line)] if previous == "heading" else [*groups[-1:], _unmark(line)]
            if role != "blank":
                previous = role
        titles = [r[4] for r in records_of(name) if r[1] == "a"]
        assert [compact(fold_width(g)) for g in groups] == [compact(t) for t in titles]
        bylines = [line for role, line in line_roles(seed_text(name), name) if role == "byline"]
        assert len(bylines) == len(records_of(name))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", SEED_NAMES)
def test_other_converters_give_the_same_records(tmp_path, issues, name, variant):
    text = VARIANTS[variant](seed_text(name), name)
    assert text != seed_text(name) or variant in ("markdown removed", "halfwidth bylines")
    issue = parse_file(write(tmp_path, text))
    assert issue.warnings == ()
    assert (issue.issue, issue.issue_total, issue.date, issue.editor) == HEADERS[name]
    spaced = variant not in TOC_WRAPPED
    assert [essentials(r, spaced) for r in issue.records] == [essentials(r, spaced) for r in issues[name].records]
    assert_frameless(issue)


def _drop(name: str, *roles: str, keep=lambda line: False) -> str:
    return "\n".join(line for role, line in line_roles(seed_text(name), name) if role not in roles or keep(line))


def _without_briefs(name: str) -> str:
    """The issue as it would read with no 信息摘登: its TOC line and the briefs gone."""
    out, bylines = [], 0
    articles = sum(1 for r in records_of(name) if r[1] == "a")
    for role, line in line_roles(seed_text(name), name):
        if role == "toc" and "信息摘登" in line or bylines >= articles and role in ("body", "byline"):
            continue
        bylines += role == "byline"
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("spaced", [False, True], ids=["toc as is", "blank lines between TOC entries"])
@pytest.mark.parametrize("name", SEED_NAMES)
def test_issue_without_briefs(issues, name, spaced):
    """With no 信息摘登 entry the TOC ends before the first heading, however it is spaced."""
    text = _without_briefs(name)
    issue = parse_text(toc_blank_lines(text, name) if spaced else text)
    articles = [r for r in issues[name].records if r.kind == "article"]
    assert issue.warnings == ()
    assert [essentials(r) for r in issue.records] == [essentials(r) for r in articles]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_issue_without_the_toc_heading_line(issues, name):
    """`目 录` itself missing: the TOC is found by its first section entry."""
    issue = parse_text(_drop(name, "toc", keep=lambda line: not re.fullmatch(r"(#+\s*)?目\s*录", line.strip())))
    assert issue.warnings == ()
    assert [essentials(r) for r in issue.records] == [essentials(r) for r in issues[name].records]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_issue_without_a_table_of_contents(issues, name):
    """No TOC at all: a warning, and articles told from briefs by their headings."""
    issue = parse_text(_drop(name, "toc"))
    assert issue.warnings == ("no table of contents (目 录); articles found by their bylines",)
    assert len(issue.records) == len(issues[name].records)
    for got, want in zip(issue.records, issues[name].records):
        assert (got.kind, got.district, got.org, got.authors) == (want.kind, want.district, want.org, want.authors)
        assert (compact(got.title), compact(got.body)) == (compact(want.title), compact(want.body))
        assert got.section == ("" if want.kind == "article" else BRIEF_SECTION)
    assert_frameless(issue)


def test_a_title_without_its_heading_shifts_no_other(issues):
    """A doubled TOC line finds no second heading; a deleted heading loses only its article."""
    text = seed_text(ISSUE_697)
    doubled = text.replace("余杭区:三举措贯彻落实省市人大代表工作座谈会精神\n", "余杭区:三举措贯彻落实省市人大代表工作座谈会精神\n" * 2, 1)
    issue = parse_text(doubled)
    assert issue.warnings == ("article missing: 情况交流 / 余杭区:三举措贯彻落实省市人大代表工作座谈会精神",)
    assert [without_source(r) for r in issue.records] == [without_source(r) for r in issues[ISSUE_697].records]

    headless = text.replace("西湖区:聚焦三个“更” 助力打造“青年留杭第一区”\n\n西湖区人大常委会第一时间", "西湖区人大常委会第一时间")
    issue = parse_text(headless)
    assert issue.warnings[0] == "article missing: 情况交流 / 西湖区:聚焦三个“更” 助力打造“青年留杭第一区”"
    assert re.fullmatch(r"lines \d+-\d+ are under no table-of-contents title; skipped", issue.warnings[1])
    assert len(issue.warnings) == 2
    kept = [r for r in issues[ISSUE_697].records if r.id != "697-06"]
    assert [r.title for r in issue.records] == [r.title for r in kept]
    assert [compact(r.body) for r in issue.records] == [compact(r.body) for r in kept]


@pytest.mark.parametrize("entry, count", [
    ("- 信息摘登** 4 则", 4), ("- 信息摘登** 四则", 4), ("信息摘登:4则", 4), ("【信息摘登】4 则", 4),
    ("- **信息摘登** 十二则", 12), ("- 信息摘登** 二十一则", 21), ("- 信息摘登** 3 则", 3),
])
def test_brief_count_in_the_toc(issues, entry, count):
    text = seed_text(ISSUE_697).replace("- 信息摘登** 4 则", entry)
    issue = parse_text(text)
    assert [essentials(r) for r in issue.records] == [essentials(r) for r in issues[ISSUE_697].records]
    assert issue.warnings == (() if count == 4 else (f"信息摘登 announces {count} briefs, found 4",))


# --------------------------------------------------------------------------- properties

_FRAGMENTS = [
    "杭州人大信息", "# 杭州人大信息", "(普 刊)", "第 9 期(总第 697 期)", "第 1 期（总第 1 期）",
    "杭州市人大常委会研究室编", "2024 年 6 月 28 日", "2024 年 2 月 30 日", "目 录", "## 目 录",
    "- 要闻速递** 市人大常委会积极推动西湖龙井", "- 监督纵横** 上城区:绘好“三张图”", "西湖区:聚焦三个“更”",
    "【代表工作】临平区:“三多三聚”", "信息摘登: 四则", "- 信息摘登** 4 则", "- 信息摘登** 十二则", "- 信息摘登**",
    "市人大常委会积极推动西湖龙井 “金字招牌”", "# 淳安县：“片区组团”履职新模式", "## 激发代表履职热情",
    "上城区：绘好“三张图”推动医疗保障联动", "一是定方案、明思路。成立以县人大常委会主任为组长的专", "项课题组。",
    "**一是完善工作机制。**市人大常委会", "拱墅区人大常委会将政务服务增值化改革工作列入年度监督计划。",
    "(代表工委 李兴军)", "（办公厅）", "(上城区人大常委会办公室 蔡 静 张雄杰)", "()", "( )", "(a)",
    "**", "#", "##", "---", "***", "* * *", "- ", "送:省人大常委会办公厅", "送", "本期责任编辑:杨青青",
    "本期责任编辑:", "电话:(0571)85250657", "", "", "", " ", "\u3000", "\t", "\x0c", "\ufeff", "\x00",
]
_LINES = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=40)), max_size=50)


def assert_well_formed(issue: Issue, text: str) -> None:
    assert [r.id for r in issue.records] == [f"{issue.issue_total}-{n:02d}" for n in range(1, len(issue.records) + 1)]
    assert all(r.kind in ("article", "brief") and isinstance(r.authors, tuple) for r in issue.records)
    assert all(r.district in DISTRICT_NAMES + (CITY_LEVEL,) for r in issue.records)
    assert all(isinstance(w, str) and w for w in issue.warnings)
    whole = cleaned_compact(text).replace("*", "").replace("_", "")
    for r in issue.records:
        for value in (r.title, r.body, r.org, *r.authors):
            assert compact(value).replace("*", "").replace("_", "") in whole, (r.id, value[:40])


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), _LINES.map("\n".join), _LINES.map("\r\n".join)))
def test_any_text_gives_an_issue_or_a_parse_error(text):
    try:
        issue = parse_text(text, "any.txt")
    except ParseError as exc:
        assert exc.path == "any.txt" and exc.reason
        return
    assert_well_formed(issue, text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_an_issue_or_a_parse_error(data):
    try:
        issue = parse_text(decode(data, "any.bin"), "any.bin")
    except ParseError as exc:
        assert exc.path == "any.bin" and exc.reason
        return
    assert isinstance(issue, Issue)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_samples_with_lines_deleted_or_duplicated(data):
    """Whatever goes missing or doubles, no header, TOC or footer line reaches a record."""
    name = data.draw(st.sampled_from(SEED_NAMES), label="sample")
    lines = seed_text(name).split("\n")
    edits = data.draw(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6)), min_size=1, max_size=8), label="edits")
    for delete, pick in edits:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        at = filled[pick % len(filled)]
        if delete:
            del lines[at]
        else:
            lines.insert(at, lines[at])
    text = "\n".join(lines)
    try:
        issue = parse_text(text, "edited.txt")
    except ParseError as exc:
        assert exc.path == "edited.txt"
        return
    assert_well_formed(issue, text)
    assert_frameless(issue)
