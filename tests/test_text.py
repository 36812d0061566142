import pytest

from assistant.language.text import Script, detect_script, fold, to_script, to_simplified


@pytest.mark.parametrize("message, script", [
    ("工业机器人补贴多少", Script.SIMPLIFIED),
    ("一鍵上雲補助每年能享受幾次", Script.TRADITIONAL),
    ("數字工程服務商服務收入八百萬元，資助多少", Script.TRADITIONAL),
    ("Which department implements this policy?", Script.ENGLISH),
    ("How much for 800,000 yuan of robots?", Script.ENGLISH),
    ("GB/T12643-2013机器人", Script.SIMPLIFIED),
    ("300万", Script.SIMPLIFIED),
])
def test_detect_script(message, script):
    assert detect_script(message) is script


def test_script_round_trip():
    assert to_script("工厂物联网项目补助", Script.TRADITIONAL) == "工廠物聯網項目補助"
    assert to_script("工厂物联网项目补助", Script.SIMPLIFIED) == "工厂物联网项目补助"
    assert to_simplified("機器換人") == "机器换人"


def test_fold_is_the_matching_form():
    assert fold("（一）　１００％，ＡＢＣ") == "(一) 100%,abc"
    assert fold("數字化車間") == "数字化车间"
