"""Expression sandbox: an AST whitelist and the SpiffWorkflow script environment that enforces it.

Every expression in a diagram is untrusted. It is checked when the bundle is deployed and again,
in `SandboxEnvironment`, every time the engine evaluates it. Limits beyond the whitelist:

- `*` works on numbers only (sequence repetition is refused) and an integer product may not
  exceed `MAX_INT_BITS`; `%` works on numbers only (printf-style formatting is refused);
  `+` may not build a string or list longer than `MAX_SEQUENCE`.
- Integer constants above `MAX_INT_CONSTANT`, bytes constants and f-strings are refused.
- `round` refuses `ndigits` outside +-`MAX_ROUND_DIGITS` (`round(1, -10**7)` takes seconds).
- A whitelisted function may only be called, never used as a value.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from casemgmt.errors import ExpressionRefused

ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    "workdays calendar_days hours len min max abs round int float str bool any all sorted".split()
)
DEADLINE_FUNCTIONS: frozenset[str] = frozenset({"workdays", "calendar_days", "hours"})

MAX_LENGTH = 10_000
MAX_DEPTH = 50
MAX_NODES = 2_000
MAX_INT_CONSTANT = 10**18
MAX_INT_BITS = 4_096
MAX_SEQUENCE = 100_000
MAX_ROUND_DIGITS = 20
CACHE_SIZE = 2_048

# Node types allowed as they are; operators and contexts are checked on their parent node.
_PLAIN_NODES = frozenset(
    {ast.Expression, ast.IfExp, ast.List, ast.Tuple, ast.Set, ast.Subscript, ast.Slice, ast.BoolOp, ast.Compare}
)
_BINARY_OPERATORS = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod})
_UNARY_OPERATORS = frozenset({ast.Not, ast.USub, ast.UAdd})
_OPERATORS = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
_CONSTANT_TYPES = (str, int, float, bool, type(None))
_SEQUENCES = (str, bytes, list, tuple)
_NUMBERS = (int, float)

_REFUSED_NODES = {
    ast.Attribute: "不允许访问属性",
    ast.Lambda: "不允许使用 lambda 表达式",
    ast.ListComp: "不允许使用推导式",
    ast.SetComp: "不允许使用推导式",
    ast.DictComp: "不允许使用推导式",
    ast.GeneratorExp: "不允许使用生成器表达式",
    ast.NamedExpr: "不允许使用赋值表达式 :=",
    ast.Await: "不允许使用 await",
    ast.Yield: "不允许使用 yield",
    ast.YieldFrom: "不允许使用 yield",
    ast.Starred: "不允许使用 * 解包",
    ast.JoinedStr: "不允许使用 f-string",
    ast.Pow: "不允许使用幂运算 **",
    ast.MatMult: "不允许使用 @ 运算",
    ast.Invert: "不允许使用位运算 ~",
    ast.BitAnd: "不允许使用位运算 &",
    ast.BitOr: "不允许使用位运算 |",
    ast.BitXor: "不允许使用位运算 ^",
    ast.LShift: "不允许使用移位运算 <<",
    ast.RShift: "不允许使用移位运算 >>",
}

_ISO_NUMBER = r"\d+(?:[.,]\d+)?"
_ISO_DURATION = (
    rf"P(?=[\dT])(?:{_ISO_NUMBER}Y)?(?:{_ISO_NUMBER}M)?(?:{_ISO_NUMBER}W)?(?:{_ISO_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_ISO_NUMBER}H)?(?:{_ISO_NUMBER}M)?(?:{_ISO_NUMBER}S)?)?"
)
_ISO_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
_ISO_PART = rf"(?:{_ISO_DURATION}|{_ISO_DATETIME})"
_ISO_INTERVAL = re.compile(rf"(?:{_ISO_DURATION}|R\d*/{_ISO_PART}(?:/{_ISO_PART})?)")
_EL_WRAPPER = re.compile(r"\s*\$\{(.*)\}\s*", re.DOTALL)


def is_iso_interval(text: str) -> bool:
    """Tell whether text is an ISO 8601 duration (PT2H) or recurring interval (R3/PT1H)."""
    return len(text) <= 200 and bool(_ISO_INTERVAL.fullmatch(text.strip()))


def strip_el_wrapper(text: str) -> str:
    """Remove an optional Camunda `${...}` wrapper around an expression."""
    match = _EL_WRAPPER.fullmatch(text)
    return match.group(1) if match else text


def _refuse(
    expr: str, message: str, node: ast.AST | str, extra: str | None = None, name: str | None = None
) -> ExpressionRefused:
    """Build the refusal for expr, locating the offending node."""
    details: dict[str, Any] = {
        "expression": expr,
        "node": name or (node if isinstance(node, str) else type(node).__name__),
    }
    if isinstance(node, ast.AST):
        details["position"] = getattr(node, "col_offset", 0)
        details["line"] = getattr(node, "lineno", 1)
    text = f"{message} {extra}" if extra else message
    return ExpressionRefused(text, details=details)


def _parse(expr: object) -> ast.Expression:
    """Parse expr in eval mode, refusing empty, oversized or malformed text."""
    if not isinstance(expr, str) or not expr.strip():
        raise _refuse(str(expr or ""), "表达式为空", "Empty")
    if len(expr) > MAX_LENGTH:
        raise _refuse(expr[:200], f"表达式过长（超过 {MAX_LENGTH} 个字符）", "TooLong")
    try:
        return ast.parse(expr.strip(), mode="eval")
    except SyntaxError as err:
        details = {"expression": expr, "node": "SyntaxError", "position": err.offset or 0, "line": err.lineno or 1}
        where = f"第 {err.lineno or 1} 行第 {err.offset or 0} 个字符附近"  # Python's own (English) text is not shown
        raise ExpressionRefused(f"表达式语法错误（{where}），请检查括号、引号和运算符", details=details) from None
    except (ValueError, MemoryError, RecursionError):
        raise _refuse(expr, "表达式无法解析（嵌套过深或含非法字符）", "SyntaxError") from None


def _check_node(expr: str, node: ast.AST, parent: ast.AST | None, functions: frozenset[str]) -> None:
    """Refuse node unless the whitelist allows it in this position."""
    kind = type(node)
    if kind in _PLAIN_NODES:
        return
    if kind is ast.Name:
        _check_name(expr, node, parent, functions)
    elif kind is ast.Constant:
        _check_constant(expr, node)
    elif kind is ast.BinOp:
        _check_binop(expr, node)
    elif kind is ast.Call:
        _check_call(expr, node, functions)
    elif kind is ast.UnaryOp:
        _check_operator(expr, node, _UNARY_OPERATORS)
    elif kind is ast.keyword and node.arg is None:
        raise _refuse(expr, "不允许使用 ** 展开关键字参数", node)
    elif kind is ast.Dict and None in node.keys:
        raise _refuse(expr, "不允许使用 ** 解包", node)
    elif kind in _REFUSED_NODES:
        raise _refuse(expr, _REFUSED_NODES[kind], node, node.attr if kind is ast.Attribute else None)
    elif kind not in (ast.keyword, ast.Dict):
        raise _refuse(expr, "不允许使用该语法", node, kind.__name__)


def _check_operator(expr: str, node: ast.BinOp | ast.UnaryOp, allowed: frozenset[type]) -> None:
    """Refuse an operator outside the whitelist (** and the bitwise ones)."""
    kind = type(node.op)
    if kind not in allowed:
        raise _refuse(expr, _REFUSED_NODES.get(kind, "不允许使用该运算符"), node, name=kind.__name__)


def _check_name(expr: str, node: ast.Name, parent: ast.AST | None, functions: frozenset[str]) -> None:
    """Refuse private names, stores, and functions used as values."""
    if node.id.startswith("_"):
        raise _refuse(expr, "不允许使用以下划线开头的名称", node, node.id)
    if not isinstance(node.ctx, ast.Load):
        raise _refuse(expr, "不允许赋值", node, node.id)
    if node.id in functions and not (isinstance(parent, ast.Call) and parent.func is node):
        raise _refuse(expr, "函数只能被调用，不能作为值使用：", node, node.id)


def _check_constant(expr: str, node: ast.Constant) -> None:
    """Refuse constants other than str, int, float, bool and None, and huge integers."""
    value = node.value
    if not isinstance(value, _CONSTANT_TYPES):
        raise _refuse(expr, "不允许使用该类型的常量", node, type(value).__name__)
    if isinstance(value, int) and abs(value) > MAX_INT_CONSTANT:
        raise _refuse(expr, f"整数常量过大（上限 {MAX_INT_CONSTANT}）", node)


def _check_call(expr: str, node: ast.Call, functions: frozenset[str]) -> None:
    """Refuse calls to anything but a whitelisted function name."""
    func = node.func
    if type(func) in _REFUSED_NODES:
        extra = func.attr if isinstance(func, ast.Attribute) else None
        raise _refuse(expr, _REFUSED_NODES[type(func)], func, extra)
    if not isinstance(func, ast.Name):
        raise _refuse(expr, "只能直接调用白名单中的函数", node)
    if node.func.id not in functions:
        raise _refuse(expr, "不允许调用函数", node, node.func.id)


def _check_binop(expr: str, node: ast.BinOp) -> None:
    """Refuse ** and bitwise operators, and repetition or formatting of literal strings and lists."""
    _check_operator(expr, node, _BINARY_OPERATORS)
    repeats = _is_sequence_literal(node.left) or _is_sequence_literal(node.right)
    if isinstance(node.op, ast.Mult) and repeats:
        raise _refuse(expr, "不允许重复字符串或列表（* 只能用于数字）", node)
    if isinstance(node.op, ast.Mod) and _is_sequence_literal(node.left):
        raise _refuse(expr, "不允许使用 % 格式化字符串", node)


def _is_sequence_literal(node: ast.AST) -> bool:
    """Tell whether node is a literal string, list or tuple."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.List | ast.Tuple)


def _children(node: ast.AST) -> list[ast.AST]:
    """Return node's child nodes left to right, leaving out operators and contexts."""
    children: list[ast.AST] = []
    for field in node._fields:
        value = getattr(node, field, None)
        for child in value if isinstance(value, list) else (value,):
            if isinstance(child, ast.AST) and not isinstance(child, _OPERATORS):
                children.append(child)
    return children


def check_expression(expr: str, functions: Iterable[str] = ALLOWED_FUNCTIONS) -> ast.Expression:
    """Parse expr and refuse it unless every node is on the whitelist."""
    allowed = functions if isinstance(functions, frozenset) else frozenset(functions)
    tree = _parse(expr)
    stack: list[tuple[ast.AST, ast.AST | None, int]] = [(tree, None, 0)]
    count = 0
    while stack:
        node, parent, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _refuse(expr, f"表达式过于复杂（超过 {MAX_NODES} 个语法节点）", node)
        if depth > MAX_DEPTH:
            raise _refuse(expr, f"表达式嵌套过深（超过 {MAX_DEPTH} 层）", node)
        _check_node(expr, node, parent, allowed)
        stack.extend((child, node, depth + 1) for child in reversed(_children(node)))
    return tree


def _safe_add(left: Any, right: Any) -> Any:
    """Add, refusing oversized concatenations before building them."""
    sequences = isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES)
    if sequences and len(left) + len(right) > MAX_SEQUENCE:
        message = f"结果过长（超过 {MAX_SEQUENCE}）"
        raise ExpressionRefused(message, details={"node": "BinOp"})
    return left + right


def _safe_mul(left: Any, right: Any) -> Any:
    """Multiply numbers only, refusing sequence repetition and huge integers."""
    if not (isinstance(left, _NUMBERS) and isinstance(right, _NUMBERS)):
        raise ExpressionRefused("不允许重复字符串或列表（* 只能用于数字）", details={"node": "BinOp"})
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise ExpressionRefused("整数运算结果过大", details={"node": "BinOp"})
    return left * right


def _safe_mod(left: Any, right: Any) -> Any:
    """Take a numeric remainder, refusing printf-style string formatting."""
    if not (isinstance(left, _NUMBERS) and isinstance(right, _NUMBERS)):
        raise ExpressionRefused("% 只能用于数字，不允许格式化字符串", details={"node": "BinOp"})
    return left % right


def safe_round(number: Any, ndigits: int | None = None) -> Any:
    """Round like the builtin, refusing ndigits that would make it slow."""
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > MAX_ROUND_DIGITS):
        raise ExpressionRefused(f"round 的小数位数必须在 ±{MAX_ROUND_DIGITS} 之内", details={"node": "Call"})
    return round(number, ndigits)


SAFE_BUILTINS: Mapping[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": safe_round,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "any": any,
    "all": all,
    "sorted": sorted,
}

_HELPERS = {ast.Add: "__zg_add", ast.Mult: "__zg_mul", ast.Mod: "__zg_mod"}
_HELPER_FUNCTIONS = {"__zg_add": _safe_add, "__zg_mul": _safe_mul, "__zg_mod": _safe_mod}


class _GuardOperators(ast.NodeTransformer):
    """Route `+`, `*` and `%` through the size-checking helpers."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        """Replace a guarded operator with a helper call."""
        self.generic_visit(node)
        helper = _HELPERS.get(type(node.op))
        if helper is None:
            return node
        call = ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)


def compile_expression(expr: str, functions: Iterable[str] = ALLOWED_FUNCTIONS) -> CodeType:
    """Check expr and compile it with the operator guards in place."""
    tree = _GuardOperators().visit(check_expression(expr, functions))
    return compile(ast.fix_missing_locations(tree), "<expression>", "eval")


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow environment that evaluates whitelisted expressions only and runs no scripts."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]],
        cache_size: int = CACHE_SIZE,
        shared: dict[tuple[frozenset[str], str], CodeType] | None = None,
    ) -> None:
        """Expose the safe builtins plus functions (workdays, calendar_days, hours) to expressions.

        `shared` is a bundle version's compile cache: every run of the version reuses what one run compiled.
        """
        merged = {**SAFE_BUILTINS, **functions}
        bad = [
            name
            for name, func in merged.items()
            if not name.isidentifier() or name.startswith("_") or not callable(func)
        ]
        if bad:
            raise ValueError(f"invalid sandbox functions: {bad}")
        super().__init__(merged)
        self.functions = frozenset(merged)
        self.wrap: Callable[[dict], dict] | None = None  # engine.memo's: notes the names looked up in task data
        self._globals = {"__builtins__": {}, **merged, **_HELPER_FUNCTIONS}
        self._compile: Callable[[str], CodeType] = (
            functools.lru_cache(maxsize=cache_size)(self._compile_uncached)
            if shared is None
            else self._shared_compiler(shared, cache_size)
        )

    def _shared_compiler(self, shared: dict, cache_size: int) -> Callable[[str], CodeType]:
        def compiled(expression: str) -> CodeType:
            key = (self.functions, expression)
            code = shared.get(key)
            if code is None:
                code = self._compile_uncached(expression)
                if len(shared) < cache_size:  # a version's expressions are few; never grow without bound
                    shared[key] = code
            return code

        return compiled

    def _compile_uncached(self, expression: str) -> CodeType:
        """Check and compile one expression text (cached by the caller)."""
        return compile_expression(expression, self.functions)

    def _locals(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict[str, Any]:
        """Copy the visible task data: no private keys, no callables, no shadowed functions."""
        merged = {**(external_context or {}), **context}
        return {
            key: value
            for key, value in merged.items()
            if isinstance(key, str) and not key.startswith("_") and key not in self.functions and not callable(value)
        }

    def evaluate(
        self, expression: str, context: Mapping[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        """Check expression against the whitelist again and evaluate it over a copy of the task data."""
        if not isinstance(expression, str):
            raise _refuse(str(expression), "表达式为空", "Empty")
        if is_iso_interval(expression):
            # Camunda timers write PT2H bare, and Spiff would evaluate it as a name.
            return expression.strip()
        code = self._compile(expression)
        task_data = self._locals(context, external_context)
        if self.wrap is not None:
            task_data = self.wrap(task_data)
        try:
            return eval(code, dict(self._globals), task_data)
        except ExpressionRefused as err:
            err.details = {**(err.details or {}), "expression": expression}
            raise

    def execute(
        self, script: str, context: Mapping[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        """Refuse every script: script tasks and pre/post scripts are not allowed."""
        raise ExpressionRefused(
            "不允许执行脚本（脚本任务和前后置脚本已禁用）", details={"expression": script, "node": "Script"}
        )

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        """Refuse: service tasks go through the operation registry, not the script engine."""
        raise NotImplementedError("service tasks are handled by the operation registry")
