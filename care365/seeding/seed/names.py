"""Words the synthetic county is made of: place names, people's names, cities, schools.

Township names are Jingning's own; village names, people and everything else are invented from
common parts, so no real person or household is described.
"""

from __future__ import annotations

# (name, kind): "subdistrict" (街道, the county seat), "town" (镇) or "township" (乡).
TOWNSHIPS: tuple[tuple[str, str], ...] = (
    ("红星街道", "subdistrict"),
    ("鹤溪街道", "subdistrict"),
    ("渤海镇", "town"),
    ("沙湾镇", "town"),
    ("东坑镇", "town"),
    ("英川镇", "town"),
    ("澄照乡", "township"),
    ("梧桐乡", "township"),
    ("大均乡", "township"),
    ("毛垟乡", "township"),
    ("秋炉乡", "township"),
    ("大地乡", "township"),
    ("家地乡", "township"),
    ("雁溪乡", "township"),
    ("鸬鹚乡", "township"),
    ("梅岐乡", "township"),
    ("郑坑乡", "township"),
    ("景南乡", "township"),
    ("大漈乡", "township"),
    ("九龙乡", "township"),
    ("标溪乡", "township"),
)

VILLAGE_FIRST = "大小东西南北上下前后金银石梅竹桃李岭坑源溪山田黄白青龙凤新高长安吴周"
VILLAGE_SECOND = "坑岭垟坪口头山田湾溪源岗寮宅洋岙坞塘桥村畈底垄"

# Common surnames in the region, weighted; She families mostly carry 蓝, 雷 or 钟.
HAN_SURNAMES: tuple[tuple[str, int], ...] = (
    ("吴", 9), ("刘", 7), ("潘", 6), ("陈", 8), ("王", 7), ("李", 6), ("张", 6), ("徐", 5),
    ("周", 5), ("叶", 6), ("林", 4), ("梅", 3), ("柳", 3), ("季", 2), ("任", 2), ("严", 2),
    ("杨", 3), ("朱", 3), ("郑", 3), ("何", 2), ("胡", 3), ("赵", 2), ("黄", 3), ("谢", 2),
    ("毛", 2), ("邱", 2), ("金", 2), ("项", 2), ("沈", 2), ("蔡", 2),
)  # fmt: skip
SHE_SURNAMES: tuple[tuple[str, int], ...] = (("蓝", 10), ("雷", 10), ("钟", 6), ("李", 1))

BOY_CHARS = "浩宇轩子俊杰博文明睿泽涛晨航鹏昊然凯磊一家天佑铭瑞嘉豪哲伟强鑫辰毅锦诚皓煜宸"
GIRL_CHARS = "欣怡梓涵诗琪雨萱佳思可馨梦瑶雅婷语桐紫妍晓雯婉清静丽娜慧颖悦彤菲玲芳蕊瑾"
# Parents, born in the 1980s and 1990s.
MAN_CHARS = "伟军勇斌涛磊强杰峰建华明超刚平辉鹏波亮林飞俊海洪斌"
WOMAN_CHARS = "丽燕静敏霞娟艳芳红琴莉婷萍玲雪丹英梅慧芬"
# Grandparents, born in the 1950s and 1960s.
OLD_MAN_CHARS = "建国华明德福林根土金水荣忠发树祥寿松有生春银富才"
OLD_WOMAN_CHARS = "秀英兰凤芳珍花梅菊莲娥玉桂香翠云仙彩女妹"

# Where parents work: across the county boundary (DOMAIN.md), weighted.
WORK_CITIES: tuple[tuple[str, int], ...] = (
    ("浙江省杭州市", 20), ("浙江省温州市", 12), ("浙江省宁波市", 10), ("浙江省丽水市莲都区", 9),
    ("上海市", 10), ("浙江省义乌市", 8), ("江苏省苏州市", 6), ("广东省广州市", 5),
    ("广东省深圳市", 5), ("浙江省金华市", 5), ("北京市", 2), ("福建省福州市", 3),
    ("江苏省南京市", 3), ("浙江省台州市", 3),
)  # fmt: skip

UNABLE_REASONS = (
    "长期患病，卧床",
    "重度残疾",
    "精神疾病，无法履行监护职责",
    "肢体残疾一级，生活不能自理",
    "尿毒症，长期透析",
)
HEALTH_NOTES = ("近视", "龋齿", "过敏性鼻炎", "哮喘", "贫血", "营养不良", "湿疹", "弱视")
DISABILITY_NOTES = (
    "视力残疾二级",
    "听力残疾三级",
    "肢体残疾三级",
    "智力残疾二级",
    "言语残疾四级",
    "孤独症谱系障碍",
)

VOLUNTEER_GROUPS = ("青年志愿服务队", "巾帼志愿服务队", "爱心志愿服务队", "红领巾志愿服务队")
