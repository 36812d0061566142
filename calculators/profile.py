"""What an enterprise tells us for the eligibility check ("政策体检").

Every field is optional: None means "not known", and the check reports it as something to
find out rather than guessing. Which field feeds which item input is declared in
rules.yaml (`profile_field`), so adding an input does not mean touching the check.
Money and yes/no fields are read by calculators.reading, so "三百万" or "是" or "不确定"
mean here what they mean everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .errors import CalculatorError, validation_message
from .reading import is_unknown, read_yes_no, read_yuan


def _optional_yuan(value: object) -> Decimal | None:
    # 0 is a fact here ("已获0元"); whether an item accepts it is the item's rule.
    return read_yuan(value, allow_zero=True)


def _optional_choice(value: object) -> object:
    return None if is_unknown(value) else value


OptionalYuan = Annotated[Decimal | None, BeforeValidator(_optional_yuan)]
OptionalYesNo = Annotated[bool | None, BeforeValidator(read_yes_no)]
OptionalChoice = Annotated[str | None, BeforeValidator(_optional_choice)]

# Facts about the enterprise as a whole. They are conditions of some items but do not on
# their own suggest that the enterprise did anything an item pays for.
GENERAL_FIELDS = frozenset(
    {"is_manufacturing", "is_small_micro", "is_sme", "in_project_library", "in_block_economy"}
)

_CITY_LEVEL_TO_TYPE = {
    "city_digital_workshop": "digital_workshop",
    "city_smart_factory": "smart_factory",
    "city_chain_leader_factory": "chain_leader_factory",
}


class EnterpriseProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The enterprise in general
    is_manufacturing: OptionalYesNo = Field(None, description="制造业（工业）企业")
    is_small_micro: OptionalYesNo = Field(None, description="小微企业")
    is_sme: OptionalYesNo = Field(None, description="中小企业")
    in_project_library: OptionalYesNo = Field(None, description="项目库企业")
    in_block_economy: OptionalYesNo = Field(None, description="属于块状经济（产业集群）")

    # （一）
    plan_design_fee_yuan: OptionalYuan = Field(None, description="数字化转型整体解决方案规划设计费用")
    has_third_party_plan: OptionalYesNo = Field(None, description="有资质的第三方机构制定了方案")
    follows_plan: OptionalYesNo = Field(None, description="按方案推进数字化改造")
    builds_industry_brain: OptionalYesNo = Field(None, description="作为主体建设分行业产业大脑")

    # （二）
    robot_purchase_yuan: OptionalYuan = Field(None, description="工业机器人购置款")
    robots_meet_gb_t_12643: OptionalYesNo = Field(None, description="机器人符合GB/T12643-2013")
    robot_subsidy_received_yuan: OptionalYuan = Field(None, description="此前已获机器人购置补助")

    # （三）
    machine_replacement_investment_yuan: OptionalYuan = Field(None, description="机器换人项目实际投资额")
    machine_replacement_equipment_yuan: OptionalYuan = Field(None, description="机器换人设备投入")
    machine_replacement_software_yuan: OptionalYuan = Field(None, description="机器换人软件投入")
    iot_investment_yuan: OptionalYuan = Field(None, description="工厂物联网项目实际投资额")
    iot_equipment_yuan: OptionalYuan = Field(None, description="工厂物联网设备投入")
    iot_software_yuan: OptionalYuan = Field(None, description="工厂物联网软件投入")
    in_one_plus_n_pilot: OptionalYesNo = Field(None, description="列入“1+N”技术改造试点")
    benchmarks_unmanned_factory: OptionalYesNo = Field(None, description="对标“无人工厂”建设")

    # （四）
    future_factory_level: OptionalChoice = Field(None, description="本次认定的“未来工厂”档次")
    future_factory_previous_level: OptionalChoice = Field(None, description="此前已享受补助的档次")
    future_factory_provincial_city_received_yuan: OptionalYuan = Field(
        None, description="本次认定已获省、市补助"
    )
    is_new_industrial_project: OptionalYesNo = Field(None, description="区内新建工业项目")
    city_future_factory_type: OptionalChoice = Field(None, description="新建项目被认定的市级“未来工厂”类型")

    # （五）
    smart_manufacturing_pilot_level: OptionalChoice = Field(None, description="智能制造试点示范等认定级别")
    industrial_internet_platform_level: OptionalChoice = Field(None, description="工业互联网平台认定级别")
    industrial_internet_platform_previous_level: OptionalChoice = Field(None, description="平台此前已获补助级别")

    # （六）
    cloud_benchmark_level: OptionalChoice = Field(None, description="上云标杆企业级别")
    cloud_benchmark_previous_level: OptionalChoice = Field(None, description="上云标杆此前已获奖励级别")
    one_click_cloud_purchase_this_year: OptionalYesNo = Field(None, description="今年通过“一键上云”购买上云产品")
    one_click_cloud_received_this_year: OptionalYesNo = Field(None, description="今年已享受“一键上云”补助")
    first_cloud_purchase: OptionalYesNo = Field(None, description="首次购买云服务")
    first_cloud_amount_paid_yuan: OptionalYuan = Field(None, description="首次购买云服务支付金额")
    first_cloud_subsidy_received: OptionalYesNo = Field(None, description="已享受过首次上云补助")

    # （七）
    digital_engineering_revenue_yuan: OptionalYuan = Field(None, description="服务本区企业数字化改造收入")
    digital_engineering_recognised: OptionalYesNo = Field(None, description="经认定为数字工程服务商")
    digital_engineering_subsidy_received_this_year_yuan: OptionalYuan = Field(
        None, description="本年度已获数字工程服务商资助"
    )

    @property
    def is_diagnosis_target(self) -> bool | None:
        """Expert diagnosis serves SMEs, project-library enterprises and block economies.

        A small/micro enterprise is an SME, so it counts. False only when every one of the
        three is known to be False; otherwise unknown.
        """
        memberships = (self.is_sme, self.in_project_library, self.in_block_economy)
        if any(memberships) or self.is_small_micro:
            return True
        if all(member is False for member in memberships):
            return False
        return None

    @property
    def effective_city_future_factory_type(self) -> str | None:
        """The stated type, else the one implied by a recognised city-level tier."""
        if self.city_future_factory_type is not None:
            return self.city_future_factory_type
        return _CITY_LEVEL_TO_TYPE.get(self.future_factory_level or "")


def build_profile(data: EnterpriseProfile | Mapping[str, Any]) -> EnterpriseProfile:
    """An EnterpriseProfile from a mapping; a bad value raises CalculatorError in Chinese."""
    if isinstance(data, EnterpriseProfile):
        return data
    if not isinstance(data, Mapping):
        raise CalculatorError("企业情况应为“字段: 值”的键值对")
    try:
        return EnterpriseProfile.model_validate(data)
    except ValidationError as exc:
        labels = {name: info.description or name for name, info in EnterpriseProfile.model_fields.items()}
        raise CalculatorError(validation_message(exc, labels)) from exc
