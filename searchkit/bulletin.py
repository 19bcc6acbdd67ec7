"""The bulletin's vocabulary: its name, sections and Hangzhou's districts.

Shared by the parser (which reads them out of issue files) and the query layer (which
filters by them), kept apart so that a search need not import the parser.
"""

PUBLICATION = "杭州人大信息"
CITY_LEVEL = "市本级"
BRIEF_SECTION = "信息摘登"

#: Hangzhou's county-level divisions, by name stem and proper suffix.
DISTRICTS = {
    "上城": "区", "拱墅": "区", "西湖": "区", "滨江": "区", "萧山": "区", "余杭": "区",
    "临平": "区", "钱塘": "区", "富阳": "区", "临安": "区", "桐庐": "县", "淳安": "县",
    "建德": "市",
}
DISTRICT_NAMES = tuple(stem + suffix for stem, suffix in DISTRICTS.items())

KNOWN_SECTIONS = ("要闻速递", "助力攻坚", "监督纵横", "代表工作", "情况交流", BRIEF_SECTION)
