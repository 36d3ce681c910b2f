"""Rules every service may name (others are registered by the apps that own the facts)."""

from zimao.catalog.plugins import RuleResult, rules


@rules.register("materials_complete", "材料齐全", "All required materials uploaded")
def materials_complete(ctx) -> RuleResult:
    missing = [k for k in ctx.required_materials if k not in ctx.materials]
    if missing:
        return RuleResult(False, f"缺少材料：{'、'.join(missing)}", f"missing materials: {', '.join(missing)}")
    return RuleResult(True)


@rules.register("always", "总是通过", "Always passes")
def always(ctx) -> RuleResult:
    return RuleResult(True)
