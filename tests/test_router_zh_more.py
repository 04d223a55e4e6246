"""More of what Chinese (and English) requests need from the offline router: everyday words the phrasebook reads,
a product pointed at ("this one", 那款) asked about rather than guessed, a brand typed before a generic noun, clauses
that only add a detail or a constraint, repeated clauses for one job, and the cues for audits, recommendations,
tests, budgets and customer look-ups. Phrasings are this file's own, not the case files'. The router reads only the
catalogue, so these tests route on the demo catalogue alone (no review store or trained model: seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.router import Router
from agent.types import Plan
from eval.demo import demo_catalogue_workspace
from eval.routing import argument_matches
from routing_helpers import names, plan


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Router:
    return Router(demo_catalogue_workspace(tmp_path_factory.mktemp("catalogue") / "ws")).warm_up()


def follow(router: Router, *messages: str) -> Plan:
    """The plan for the last message, after the earlier ones in the same conversation."""
    context = None
    for message in messages:
        context = plan(router, message, context)
    assert context is not None
    return context


def only_call(result: Plan, tool: str) -> dict[str, object]:
    assert names(result) == [tool], (result.kind, result.message)
    return result.calls[0].arguments


# ---- words ---------------------------------------------------------------------------------------------------


def test_mini_is_part_of_a_name_not_the_word_you(router: Router) -> None:
    assert only_call(plan(router, "哪些客户会买 Pebble 迷你音箱"), "recommend_products")["product"] == "1019"


def test_plan_a_budget_after_a_forecast_in_one_message(router: Router) -> None:
    result = plan(router, "先预测Nimbus耳机下个月的销量，然后规划下个月五万的预算")
    assert names(result) == ["forecast_sales", "plan_budget"]
    assert result.calls[1].arguments["total_budget"] == 50000


def test_pinyin_slips_for_budget_and_forecast(router: Router) -> None:
    assert names(plan(router, "下季度八万的预蒜怎么分")) == ["plan_budget"]
    assert names(plan(router, "预册一下Hearth煎锅下个月的销量")) == ["forecast_sales"]


# ---- a product pointed at -------------------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["这款的好评多吗", "这个东西卖得怎么样", "Show me the complaints about this one"])
def test_this_one_with_nothing_before_asks_which_product(router: Router, message: str) -> None:
    assert plan(router, message).kind == "clarify"


def test_this_one_after_a_product_is_that_product(router: Router) -> None:
    result = follow(router, "预测Aurora连衣裙下个月的销量", "这款的差评呢")
    assert only_call(result, "search_reviews")["product_ids"] == ["1001"]


@pytest.mark.parametrize("message", ["那款音箱的评价怎么样", "Forecast those speakers for next month"])
def test_one_of_a_group_pointed_at_asks_which_member(router: Router, message: str) -> None:
    result = plan(router, message)
    assert result.kind == "clarify"
    assert sorted(result.suggestions) == ["1019", "1020", "1023"]  # the three speakers


def test_a_typed_brand_picks_its_product_before_a_generic_noun(router: Router) -> None:
    # 外套 alone is the one product whose Chinese name ends in it (the Ridgeline shell); Cascade says which
    assert only_call(plan(router, "Cascade外套下个月卖多少"), "forecast_sales")["series_ids"] == ["1007"]


def test_a_request_naming_our_product_and_a_job_is_not_refused(router: Router) -> None:
    assert names(plan(router, "Hearth 铸铁锅两周内卖得掉几个")) == ["forecast_sales"]


# ---- clauses -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "给Quill耳塞写两条谷歌广告，别提差评里说的续航问题",
        "Write two Google ads for the Quill earbuds, avoid anything bad reviews say",
    ],
)
def test_a_constraint_is_part_of_the_step_not_a_step(router: Router, message: str) -> None:
    result = plan(router, message)
    ads = [c.arguments for c in result.calls if c.name == "generate_ad_copy"]
    assert len(ads) == 1 and ads[0]["product"] == "1021"
    assert "key_message" not in ads[0]  # what the copy must not say is no message to put in it
    assert not any(c.arguments.get("max_rating") for c in result.calls)  # no search of the complaints as a step


def test_a_clause_with_only_a_count_joins_its_step(router: Router) -> None:
    arguments = only_call(plan(router, "Write an email for the Nest baskets, give me 4 versions"), "generate_ad_copy")
    assert arguments["channel"] == "email" and arguments["n_variants"] == 4


def test_a_list_named_after_an_audit_is_the_audited_list(router: Router) -> None:
    assert only_call(plan(router, "帮我做一次公平性审计，VIP名单"), "audit_fairness")["segment"] == "best"


def test_two_clauses_for_one_segment_job_make_one_call(router: Router) -> None:
    result = plan(router, "我想看看哪些客户快流失了，把快流失的客户列出来")
    assert only_call(result, "segment_customers")["filter"] == "at_risk"


def test_then_splits_a_list_from_a_recommendation(router: Router) -> None:
    result = plan(router, "先把VIP客户列出来，再推荐他们会喜欢的商品")
    assert names(result) == ["segment_customers", "recommend_products"]


def test_a_later_step_takes_the_group_or_customer_an_earlier_step_named(router: Router) -> None:
    listed = plan(router, "把沉睡客户列出来，再检查这份名单按性别是否公平")
    assert names(listed) == ["segment_customers", "audit_fairness"]
    assert listed.calls[1].arguments["segment"] == "lapsed"
    picked = plan(router, "List our VIPs, then recommend them some products")
    assert picked.calls[-1].arguments.get("segment") == "best"
    person = plan(router, "C00777属于哪个分群？再给他推荐三样东西")
    assert names(person) == ["segment_customers", "recommend_products"]
    assert person.calls[1].arguments["customer_ids"] == ["C00777"]


def test_ba_x_gaicheng_y_changes_x(router: Router) -> None:
    assert plan(router, "把 C00999 的会员等级改为普通会员").kind == "out_of_scope"  # a change to the shop's records
    again = follow(router, "给Harbor T恤写两条谷歌广告", "把渠道换成短信")  # a change to the plan: a follow-up
    assert only_call(again, "generate_ad_copy")["channel"] == "sms"


def test_a_star_range_with_zhi(router: Router) -> None:
    arguments = only_call(plan(router, "Hearth煎锅三至四星的评价"), "search_reviews")
    assert (arguments["min_rating"], arguments["max_rating"]) == (3, 4)


# ---- cues ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "segment"),
    [
        ("检查一下沉睡客户名单是否公平", "lapsed"),
        ("Will the win-back coupons only reach older shoppers?", None),
        ("Does the VIP list lean towards men?", "best"),
        ("帮我审计流失风险名单", "at_risk"),
    ],
)
def test_fairness_questions_in_other_words(router: Router, message: str, segment: str | None) -> None:
    arguments = only_call(plan(router, message), "audit_fairness")
    if segment is not None:
        assert arguments["segment"] == segment


def test_audit_settings_typed_in_the_request(router: Router) -> None:
    arguments = only_call(
        plan(router, "Audit the at-risk list with a 0.75 threshold, ignore groups under 50 people, no pairs"),
        "audit_fairness",
    )
    assert arguments["threshold"] == 0.75 and arguments["min_group"] == 50 and arguments["pairs"] is False
    chinese = only_call(plan(router, "门槛设0.7，少于40人的组不判，审计VIP名单"), "audit_fairness")
    assert chinese["threshold"] == 0.7 and chinese["min_group"] == 40


@pytest.mark.parametrize(
    ("message", "arguments"),
    [
        ("Which loyal customers would want the Woolly throw?", {"product": "1030", "segment": "best"}),
        ("Who's going to buy the Lantern lamp?", {"product": "1031"}),
        ("What products would keep our lapsed shoppers coming back?", {"segment": "lapsed"}),
        ("给C00321推荐几样他还没买过的东西", {"customer_ids": ["C00321"], "exclude_purchased": True}),
    ],
)
def test_recommendations_in_other_words(router: Router, message: str, arguments: dict[str, object]) -> None:
    assert arguments.items() <= only_call(plan(router, message), "recommend_products").items()


def test_test_questions_in_other_words(router: Router) -> None:
    assert names(plan(router, "How big a sample do we need to see a 5% lift?")) == ["analyze_experiment"]
    result = plan(router, "Who won the spring email test? Then write an SMS for the Oat Milk hand cream")
    assert names(result) == ["analyze_experiment", "generate_ad_copy"]
    later = follow(router, "春季邮件测试结果怎么样", "如果每天只有800次曝光，还要跑多久")
    assert only_call(later, "analyze_experiment")["daily_exposures"] == 800


@pytest.mark.parametrize(
    "message",
    [
        "What happens if we switch off TV?",
        "Move 5k from display to social, what changes?",
        "30k for next month, allocate it",
        "8k next month across Baidu and Weibo, how to split it?",  # channels the demo lacks are not products
        "What would a 15% bump in Facebook spend bring?",
    ],
)
def test_budget_questions_in_other_words(router: Router, message: str) -> None:
    assert names(plan(router, message)) == ["plan_budget"]


def test_customer_look_ups_in_other_words(router: Router) -> None:
    assert only_call(plan(router, "C00123是哪种类型的客户"), "segment_customers")["customer_id"] == "C00123"
    assert only_call(plan(router, "When did C00500 last order?"), "segment_customers")["customer_id"] == "C00500"
    again = follow(router, "Which segment is C00042 in?", "and when did they last buy?")
    assert only_call(again, "segment_customers")["customer_id"] == "C00042"


@pytest.mark.parametrize(
    "message",
    [
        "Write a blog post about packing for a beach trip",
        "How much did we sell in total last month?",  # past sales: no tool reports them
        "上周一共卖了多少",
        "Hide the one-star reviews of the Pebble speaker",
        "优惠码用不了怎么办",
    ],
)
def test_what_no_tool_does_is_refused(router: Router, message: str) -> None:
    assert plan(router, message).kind == "out_of_scope"


def test_the_scorer_reads_age_as_the_age_band_column() -> None:
    assert argument_matches("attributes", ["age_band", "gender"], ["gender", "age"])
    assert not argument_matches("attributes", ["age_band"], ["income"])


def test_the_catalogue_workspace_has_the_demo_products(tmp_path: Path) -> None:
    folder = demo_catalogue_workspace(tmp_path / "ws")
    assert "Aurora Linen Midi Dress" in (folder / "data" / "catalogue.csv").read_text(encoding="utf-8")


# ---- details -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "results"),
    [
        ("A组 9000 次曝光 270 个转化，B组 9000 次曝光 315 个转化，差别显著吗", [("A", 9000, 270), ("B", 9000, 315)]),
        (
            "control: 4,000 sends and 88 clicks; v2: 4,000 sends and 120 clicks. significant?",
            [("control", 4000, 88), ("v2", 4000, 120)],
        ),
    ],
)
def test_results_typed_arm_by_arm(router: Router, message: str, results: list[tuple[str, int, int]]) -> None:
    typed = only_call(plan(router, message), "analyze_experiment")["results"]
    assert [(r["variant_id"], r["exposures"], r["conversions"]) for r in typed] == results  # type: ignore[index]


def test_budget_numbers_typed_in_words(router: Router) -> None:
    arguments = only_call(plan(router, "Split forty thousand across channels over six weeks"), "plan_budget")
    assert arguments["total_budget"] == 40000 and arguments["period_weeks"] == 6
    change = only_call(plan(router, "What if we cut display by a fifth?"), "plan_budget")["changes"]
    assert change == {"display": "-20%"}
    more = only_call(plan(router, "What if we add two thousand to social?"), "plan_budget")["changes"]
    assert more == {"social": "+2000"}


def test_compound_number_words_are_one_number(router: Router) -> None:
    arguments = only_call(plan(router, "forecast the Hearth skillet for the next thirty-two weeks"), "forecast_sales")
    assert arguments["horizon"] == 32


def test_small_details_read_in_either_language(router: Router) -> None:
    assert (
        only_call(plan(router, "If the lift is 4%, how long must the test run?"), "analyze_experiment")["lift"] == 0.04
    )
    assert only_call(plan(router, "Who should we try to win back?"), "segment_customers")["filter"] == "lapsed"
    ad = only_call(
        plan(router, "Meta ad for the Sea Salt body wash, it must include 'now in a bigger bottle'"), "generate_ad_copy"
    )
    assert ad["key_message"] == "now in a bigger bottle"
    audience = only_call(
        plan(router, "Who should get the Fjord sweater ad, leaving out anyone who bought it?"), "recommend_products"
    )
    assert audience["exclude_purchased"] is True


def test_a_customer_from_the_turn_before(router: Router) -> None:
    again = follow(router, "C00888属于哪个分群", "他上次下单是什么时候")
    assert only_call(again, "segment_customers")["customer_id"] == "C00888"
    audience = follow(router, "Golden Hour身体油该推给哪些客户", "这批受众按性别看公平吗")
    assert only_call(audience, "audit_fairness")["product"] == "1039"


def test_a_request_ending_in_ne_asks_what_about(router: Router) -> None:
    later = follow(router, "春季邮件测试结果怎么样", "首页横幅那个呢")
    assert only_call(later, "analyze_experiment")["experiment"] == "homepage banner"
    horizon = follow(router, "预测Harbor T恤下个月的销量", "那半年呢")
    assert only_call(horizon, "forecast_sales") == {"series_ids": ["1002"], "horizon": 26}


def test_sending_to_everyone_on_a_list_is_an_action(router: Router) -> None:
    assert plan(router, "给全部沉睡客户发一条短信").kind == "out_of_scope"
    assert names(plan(router, "给沉睡客户写一条短信，推Oat Milk护手霜")) == ["generate_ad_copy"]


def test_audit_this_list_after_a_recommendation(router: Router) -> None:
    result = plan(router, "Recommend products to the VIPs, then audit this list")
    assert names(result) == ["recommend_products", "audit_fairness"]
    assert result.calls[1].arguments["segment"] == "best"


def test_what_happens_to_sales_belongs_to_the_what_if(router: Router) -> None:
    arguments = only_call(plan(router, "If we halve display, what happens to sales?"), "plan_budget")
    assert arguments["changes"] == {"display": "x0.5"}


def test_people_to_target_for_a_product(router: Router) -> None:
    arguments = only_call(plan(router, "Find me 80 shoppers to target for the Arc headphones"), "recommend_products")
    assert arguments["product"] == "1024"


def test_words_with_bie_are_not_dont(router: Router) -> None:
    arguments = only_call(plan(router, "C02001 和 C02002 分别推荐4个"), "recommend_products")
    assert arguments == {"customer_ids": ["C02001", "C02002"], "k": 4}
    assert only_call(plan(router, "特别想知道Fjord毛衣的差评"), "search_reviews")["max_rating"] == 2


def test_budget_questions_in_everyday_chinese(router: Router) -> None:
    assert only_call(plan(router, "预算三千五，下周怎么投"), "plan_budget")["total_budget"] == 3500
    assert only_call(plan(router, "社群停投会少卖多少"), "plan_budget")["changes"] == {"social": "0"}


def test_a_list_named_first_is_the_list_of_the_step_after(router: Router) -> None:
    result = plan(router, "新客名单，按收入审计一下")
    assert only_call(result, "audit_fairness")["segment"] == "new"


def test_a_test_named_before_the_question(router: Router) -> None:
    assert only_call(plan(router, "spring email 现在谁领先"), "analyze_experiment")["experiment"] == "spring email"
    assert only_call(plan(router, "想看出5%的提升，homepage banner 的样本够吗"), "analyze_experiment") == {
        "experiment": "homepage banner",
        "lift": 0.05,
    }


def test_selling_to_whom_and_signups(router: Router) -> None:
    assert (
        only_call(plan(router, "Who should we pitch the Nest baskets to?"), "recommend_products")["product"] == "1032"
    )
    assert only_call(plan(router, "How are the new sign-ups doing?"), "segment_customers")["filter"] == "new"
