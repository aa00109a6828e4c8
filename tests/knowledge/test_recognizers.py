"""Each recognizer, table-driven: what must be found (exactly that span) and what must survive."""

from __future__ import annotations

import pytest

from knowledge.desensitize import Desensitizer

FOUND = [
    # (entity, text, the value that must be found)
    ("CN_MOBILE", "我手机13800138000，随时打", "13800138000"),
    ("CN_MOBILE", "电话 138 0013 8000", "138 0013 8000"),
    ("CN_MOBILE", "打 138-0013-8000 找我", "138-0013-8000"),
    ("CN_MOBILE", "国际拨 +86 13912345678 即可", "+86 13912345678"),
    ("CN_MOBILE", "号码+86-139-1234-5678。", "+86-139-1234-5678"),
    ("CN_MOBILE", "0086 15012345678是我的", "0086 15012345678"),
    ("CN_MOBILE", "(+86)18612345678", "(+86)18612345678"),
    ("CN_LANDLINE", "座机021-68881234转8021", "021-68881234转8021"),
    ("CN_LANDLINE", "办公室 0755-2345 6789", "0755-2345 6789"),
    ("CN_LANDLINE", "总机(010)82345678", "(010)82345678"),
    ("CN_ID_CARD", "身份证号11010519491231002X请核对", "11010519491231002X"),
    ("CN_ID_CARD", "证件 440305199001011234 ", None),  # checksum wrong: must not be an ID
    ("EMAIL_ADDRESS", "发到zhang.wei@huaxin-tech.com，谢谢", "zhang.wei@huaxin-tech.com"),
    ("EMAIL_ADDRESS", "邮箱:Li_Na+sales@example.com.cn。", "Li_Na+sales@example.com.cn"),
    ("WECHAT_ID", "加我微信：zhangwei_1988", "zhangwei_1988"),
    ("WECHAT_ID", "vx是 Lina-2024a 备注公司", "Lina-2024a"),
    ("WECHAT_ID", "V信 abc12345", "abc12345"),
    ("WECHAT_ID", "我的是wxid_k2j3h4g5f6", "wxid_k2j3h4g5f6"),
    ("QQ_NUMBER", "QQ 12345678", "12345678"),
    ("QQ_NUMBER", "扣扣：987654321", "987654321"),
    ("CN_LICENSE_PLATE", "车牌沪A12345停在B2", "沪A12345"),
    ("CN_LICENSE_PLATE", "新能源粤B·D12345", "粤B·D12345"),
    ("CN_LICENSE_PLATE", "新能源京AF12345", "京AF12345"),
    ("CN_LICENSE_PLATE", "编号京A1234", None),  # too short for a plate
    ("CN_ADDRESS", "地址上海市浦东新区张江路88号3号楼1201室，到了打电话", "张江路88号3号楼1201室"),
    ("CN_ADDRESS", "深圳市南山区科技园南区高新南四道18号", "高新南四道18号"),
    ("CN_ADDRESS", "在朝阳区建国路93号万达广场B座1506见", "建国路93号万达广场B座1506"),
    ("PERSON", "王总您好，方案发您了", "王"),
    ("PERSON", "李经理说下周签", "李"),
    ("PERSON", "张先生和黄女士明天到", "张"),
    ("PERSON", "老周说可以", "周"),
    ("PERSON", "欧阳总监在吗", "欧阳"),
    ("PERSON", "我是华东区的李娜", "李娜"),
    ("PERSON", "Hi Lisa, the quote is attached.", "Lisa"),
    ("PERSON", "This is John Smith from procurement", "John Smith"),
    ("PERSON", "Mr. Brown will sign", "Brown"),
    ("PERSON", "Kevin from our Shanghai office", "Kevin"),
    ("PERSON", "our engineer Li Wei will visit", "Li Wei"),
    ("PERSON", "你好，我姓岑，做监护仪的", "岑"),
    ("PERSON", "值班：周三上官婉清，周四覃海洋", "上官婉清"),
    ("WECHAT_ID", "or WeChat: liwei_labtech.", "liwei_labtech"),
    ("WECHAT_ID", "Her assistant's WeChat is olan_assist2024.", "olan_assist2024"),
    ("CN_ID_CARD", "开户名晏东升，身份证420106198302147314，农行", "420106198302147314"),
    ("CN_LANDLINE", "办公室电话 02168881234", "02168881234"),
    ("PERSON", "我是曲经理，请回电", "曲"),
    ("PERSON", "司机门师傅下午到", "门"),
    ("PERSON", "记录人：仝雨桐", "仝雨桐"),
    ("PERSON", "Contact: Hannah Müller, Sales", "Hannah Müller"),
    ("CN_ADDRESS", "成都市高新区天府大道1700号环球中心W6区1402室。", "天府大道1700号环球中心W6区1402室"),
    ("WECHAT_ID", "加个人微信吧：chenruo_med。", "chenruo_med"),
    # issue 16: the formats people really write
    ("CN_PASSPORT", "护照号E38291746，机票按这个订", "E38291746"),
    ("CN_PASSPORT", "护照：EB2837465", "EB2837465"),
    ("CN_PASSPORT", "因公护照P4829173下周到期", "P4829173"),
    ("CN_PASSPORT", "E74829163 这本还有效吗", "E74829163"),
    ("CN_PASSPORT", "料号E12345678-A 缺货", None),
    ("CN_TRAVEL_PERMIT", "往来港澳通行证C73829164，周三去香港", "C73829164"),
    ("CN_TRAVEL_PERMIT", "台胞证：08273645，下周来厂", "08273645"),
    ("CN_TRAVEL_PERMIT", "回乡证H0283746501", "H0283746501"),
    ("HK_ID_CARD", "香港身份证A123456(3)，请开票", "A123456(3)"),
    ("HK_ID_CARD", "证件 K174925（0） 已核对", "K174925（0）"),
    ("HK_ID_CARD", "编号A123456(4)的工单", None),  # check digit wrong, no cue
    ("TW_ID_CARD", "台湾身份证A123456789，陈小姐的", "A123456789"),
    ("TW_ID_CARD", "序列号A123456788", None),  # checksum wrong
    ("CN_ID_CARD", "身份证号110105491231002还能用吗", "110105491231002"),
    ("CN_ID_CARD", "身份证号 330106  19850312  4416", "330106  19850312  4416"),
    ("CN_MOBILE", "手机138.1234.5678，白天打", "138.1234.5678"),
    ("CN_MOBILE", "电话 1 3 8 1 2 3 4 5 6 7 8 找他", "1 3 8 1 2 3 4 5 6 7 8"),
    ("CN_MOBILE", "我的手机是一三八一二三四五六七八", "一三八一二三四五六七八"),
    ("CN_MOBILE", "联系电话86-13812345678", "86-13812345678"),
    ("CN_MOBILE", "手机号：139  5731  2468", "139  5731  2468"),
    ("CN_LANDLINE", "座机010-18273645，找前台", "010-18273645"),
    ("CN_LANDLINE", "TEL:86-10-62345678", "86-10-62345678"),
    ("CN_BANK_CARD", "卡号6222  0212  3456  7890，户名赵敏", "6222  0212  3456  7890"),
    ("CN_BANK_CARD", "卡号62220 2123 4567 8901 28", "62220 2123 4567 8901 28"),
    ("CN_BANK_CARD", "信用卡6011 1111 1111 1117，美元结算", "6011 1111 1111 1117"),
    ("CN_BANK_CARD", "转账到 6222 0212 3456 7890 123 就行", "6222 0212 3456 7890 123"),  # a landline inside: one number
    ("EMAIL_ADDRESS", "邮箱 zhangwei at huaxin dot com，防爬虫", "zhangwei at huaxin dot com"),
    ("EMAIL_ADDRESS", "邮箱li.na(at)kanglan-med.cn", "li.na(at)kanglan-med.cn"),
    ("EMAIL_ADDRESS", "简历发hr#fengrun-tech.com（#换成@）", "hr#fengrun-tech.com"),
    ("PERSON", "参会：张伟李娜王五三人", "王五"),
    ("PERSON", "张伟、李娜、王五明天到", "王五"),
    ("PERSON", "收件人：覃海洋，电话见附件", "覃海洋"),
    ("PERSON", "访客 Chan Tai Man，下午到", "Chan Tai Man"),
    ("CN_LICENSE_PLATE", "粤Z·A123港 过关", "粤Z·A123港"),
    ("CN_ADDRESS", "地址：成都市中山南路四段1号", "中山南路四段1号"),
    ("CN_ADDRESS", "送到万科城3栋2单元1502室，下午收货", "万科城3栋2单元1502室"),
    ("CN_ADDRESS", "资料寄到软件园B座1306室", "软件园B座1306室"),
]

SURVIVES = [
    "X200-1380012型号的设备",
    "HX-13800138000-B 是新款",
    "订单号2026112800138000",
    "SN: 13900139000A12",
    "报价138000元，含税",
    "¥13,800.00 一台",
    "服务热线400-820-8820或4008208820",
    "招行95555，工行95588",
    "2026-11-28 交货，20261128 入库",
    "折扣13.8%",
    "华东区销售部和法务部",
    "小米、华为、海尔、迈瑞医疗都在用",
    "我们的王牌产品高端型号周一到货",
    "小程序下单，老客户优先",
    "PO-20261128-0042 已审批",
    "续航72小时，王者级别",
    "施工队明天进场",
    "Long Term contract, Fan Speed 3",
    "发票代码044032100111，发票号码31728864",
    "你们上周发的那批玻璃又碎了",
    "六千五这个价我得跟公司申请",  # LAC read the spoken price as a name
    "部门经理审批后，由孙公司结算",
    "小麦收割机共计36台",
    "会议号 738 264 915，密码 1234",
    "运单号 SF1234567890123 已发出",
    "2026 11 28 到货，数量 1200 台",
    "版本 1.3.8123.4567 已发布",
    "3号楼会议室，下午两点",
    "Excel能把客户名单管好",
    "联系人：采购部",
    "Ho Chi Minh City office",
    "SF单号 110105491231002",
    # a second reviewer's over-masking cases
    "阶梯价 1 8 10 20 50 100 件",
    "尺寸 15-20-30-40-500",
    "批次 13 12 34 56 78 9",
    "账号 2024-12-05 开通",
    "账户：100 200 300",
    "仓库共3栋1500平米",
    "产线A座1200台/月",
    "配件号 E12345678",
    "货号 A123456789",
    "对接人：周一到",
    "户名：万科",
]


def _found(desensitizer: Desensitizer, text: str) -> list[tuple[str, str]]:
    return [(d.type, text[d.start : d.end]) for d in desensitizer.detect(text)]


@pytest.mark.parametrize(("entity", "text", "value"), FOUND, ids=[f"{e}:{t[:12]}" for e, t, _ in FOUND])
def test_when_a_value_appears_then_exactly_it_is_found(desensitizer: Desensitizer, entity: str, text: str, value: str | None) -> None:
    found = _found(desensitizer, text)
    if value is None:
        assert entity not in {t for t, _ in found}, found
    else:
        assert (entity, value) in found, found


@pytest.mark.parametrize("text", SURVIVES)
def test_when_business_strings_appear_then_they_survive(desensitizer: Desensitizer, text: str) -> None:
    assert _found(desensitizer, text) == []
    assert desensitizer.desensitize(text).text == text


@pytest.mark.parametrize(
    ("number", "verified"),
    [("6222 0212 3456 7890 128", True), ("6222021234567890129", False), ("4111111111111111", True), ("2026112800138000", False)],
)
def test_when_a_number_follows_a_card_cue_then_it_is_masked_and_verified_only_by_luhn_and_prefix(desensitizer: Desensitizer, number: str, verified: bool) -> None:
    text = f"卡号 {number} 户名见附件"
    (detection,) = desensitizer.detect(text)
    assert (detection.type, text[detection.start : detection.end], detection.verified) == ("CN_BANK_CARD", number, verified)
    (entity,) = desensitizer.desensitize(text).entities
    assert entity.verified is verified


@pytest.mark.parametrize(("number", "is_card"), [("6222 0212 3456 7890 128", True), ("6222021234567890129", False), ("4111111111111111", True)])
def test_when_a_card_number_comes_without_a_cue_then_luhn_and_prefix_decide(desensitizer: Desensitizer, number: str, is_card: bool) -> None:
    assert (("CN_BANK_CARD", number) in _found(desensitizer, f"钱转 {number} 就行")) is is_card


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [("身份证 440305199001011235 请核对", "440305199001011235", "CN_ID_CARD"), ("香港身份证A123456(4)", "A123456(4)", "HK_ID_CARD")],
)
def test_when_a_cue_precedes_a_number_whose_checksum_fails_then_it_is_masked_as_unverified(desensitizer: Desensitizer, text: str, value: str, entity: str) -> None:
    (detection,) = desensitizer.detect(text)
    assert (detection.type, text[detection.start : detection.end], detection.verified) == (entity, value, False)


@pytest.mark.parametrize(
    ("written", "plain"),
    [("zhangwei at huaxin dot com", "zhangwei@huaxin.com"), ("一三八一二三四五六七八", "13812345678"), ("138.1234.5678", "13812345678")],
)
def test_when_a_value_is_spelled_out_then_its_erasure_fingerprint_is_that_of_its_plain_form(desensitizer: Desensitizer, written: str, plain: str) -> None:
    (fingerprint,) = desensitizer.desensitize(f"联系：{written}，谢谢").fingerprints
    assert fingerprint in desensitizer.fingerprints_for(plain)


@pytest.mark.parametrize("text", ["联系我 13812345678 100台起订", "手机13812345678 12000元", "数量 500 13812345678"])
def test_when_a_mobile_stands_beside_other_figures_then_only_it_is_masked_and_its_fingerprint_holds(desensitizer: Desensitizer, text: str) -> None:
    assert _found(desensitizer, text) == [("CN_MOBILE", "13812345678")]
    assert set(desensitizer.desensitize(text).fingerprints) <= set(desensitizer.fingerprints_for("13812345678"))


def test_when_a_name_stands_alone_then_it_is_not_cut_as_names_in_a_row(desensitizer: Desensitizer) -> None:
    assert ("PERSON", "李文江") in _found(desensitizer, "李文江公司那边已经确认")
