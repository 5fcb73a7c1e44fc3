#!/usr/bin/env python3
"""Generates Sources/KafkaProtocol/Generated/<Api>.swift from tools/protocol-gen/messages/<Api>.msg.

Usage:
  tools/protocol-gen/generate.py            rewrite every generated file (and delete stale ones)
  tools/protocol-gen/generate.py --check    exit 1 when a committed file differs from what would be generated

The description format is documented in tools/protocol-gen/README.md. Python 3 standard library only.
"""

import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MESSAGES = os.path.join(ROOT, "tools", "protocol-gen", "messages")
OUTPUT = os.path.join(ROOT, "Sources", "KafkaProtocol", "Generated")

# Wire type -> (Swift type, default, read method, write method). Strings, bytes and arrays also have nullable forms.
# Wire type -> (Swift type, default, stem of the ProtocolReader/ProtocolWriter methods: readInt32/writeInt32).
SCALARS = {
    "int8": ("Int8", "0", "Int8"),
    "int16": ("Int16", "0", "Int16"),
    "int32": ("Int32", "0", "Int32"),
    "int64": ("Int64", "0", "Int64"),
    "uint16": ("UInt16", "0", "UInt16"),
    "bool": ("Bool", "false", "Bool"),
    "float64": ("Double", "0", "Float64"),
    "uuid": ("UUIDValue", ".zero", "UUID"),
}
# Element type of an array of primitives -> (Swift element, method stem).
ARRAYS = {
    "int32": ("Int32", "Int32Array"),
    "int64": ("Int64", "Int64Array"),
    "string": ("String", "StringArray"),
    "uuid": ("UUIDValue", "UUIDArray"),
}
# Length-prefixed wire types -> method stem; they take `compact:` and (but records) have a Nullable form.
PREFIXED = {"string": "String", "bytes": "Bytes", "records": "Records"}


class DescriptionError(Exception):
    pass


class VersionRange:
    """An inclusive version range; `hi` None means open-ended."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text, where):
        m = re.fullmatch(r"v?(\d+)(\+|-(\d+))?", text)
        if not m:
            raise DescriptionError(f"{where}: bad version range {text!r}")
        lo = int(m.group(1))
        if m.group(2) == "+":
            return VersionRange(lo, None)
        if m.group(3) is not None:
            return VersionRange(lo, int(m.group(3)))
        return VersionRange(lo, lo)

    def condition(self, valid):
        """Swift condition for `version` inside this range, given the message's valid range; None when always."""
        lo_needed = self.lo > valid.lo
        hi_needed = self.hi is not None and (valid.hi is None or self.hi < valid.hi)
        if hi_needed and (self.lo == self.hi or (not lo_needed and self.hi == valid.lo)):
            return f"version == {self.hi}"
        parts = []
        if lo_needed:
            parts.append(f"version >= {self.lo}")
        if hi_needed:
            parts.append(f"version <= {self.hi}")
        return " && ".join(parts) if parts else None

    def note(self):
        if self.hi is None:
            return f"v{self.lo}+"
        if self.lo == self.hi:
            return f"v{self.lo}"
        return f"v{self.lo}\u2013{self.hi}"


class Field:
    def __init__(self, name, type_text, line_no):
        self.name = name
        self.type_text = type_text
        self.line_no = line_no
        self.versions = None
        self.nullable = None
        self.tag = None
        self.default = None
        self.doc = []
        self.struct = None  # StructDef when the field's type (or element type) is a nested struct

    @property
    def optional(self):
        return self.type_text.endswith("?")

    @property
    def base(self):
        return self.type_text.rstrip("?")

    @property
    def is_array(self):
        return self.base.startswith("[")

    @property
    def element(self):
        return self.base[1:-1] if self.is_array else self.base


class StructDef:
    def __init__(self, name, line_no):
        self.name = name
        self.line_no = line_no
        self.fields = []
        self.doc = []
        self.nested = []  # on a top-level message: every struct defined in it, declared nested in its type


class Message:
    def __init__(self, kind, struct, options):
        self.kind = kind  # "request", "response" or "message"
        self.struct = struct
        self.options = options


class Api:
    def __init__(self, path):
        self.path = path
        self.messages = []
        self.valid = None
        self.flexible = None  # first flexible version or None
        self.api_key = None
        self.header_doc = []


def parse(path):
    api = Api(path)
    rel = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    pending_doc = []
    # Stack of (indent, StructDef): the struct that a line indented further than `indent` belongs to.
    stack = []
    current_message = None
    for i, raw in enumerate(lines, 1):
        where = f"{rel}:{i}"
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if stripped.startswith("///"):
            pending_doc.append(stripped[3:].strip())
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        words = stripped.split()
        if indent == 0:
            kind = words[0]
            if kind == "api":
                opts = parse_options(words[1:], where)
                api.api_key = opts.get("key")
                api.valid = VersionRange.parse(opts["versions"], where)
                flex = opts.get("flexible", "none")
                api.flexible = None if flex == "none" else VersionRange.parse(flex, where).lo
                api.header_doc = pending_doc
                pending_doc = []
                continue
            if kind not in ("request", "response", "message"):
                raise DescriptionError(f"{where}: expected api, request, response or message, got {kind!r}")
            if api.valid is None:
                raise DescriptionError(f"{where}: the api line comes first")
            struct = StructDef(words[1], i)
            struct.doc = pending_doc
            pending_doc = []
            current_message = Message(kind, struct, parse_options(words[2:], where))
            api.messages.append(current_message)
            stack = [(0, struct)]
            continue
        if not stack:
            raise DescriptionError(f"{where}: field outside a message")
        parent = stack[-1][1]
        field = parse_field(words, where)
        field.doc = pending_doc
        pending_doc = []
        parent.fields.append(field)
        if field.element not in SCALARS and field.element not in PREFIXED:
            if not re.fullmatch(r"[A-Z]\w*", field.element):
                raise DescriptionError(f"{where}: unknown type {field.type_text!r}")
            # A nested struct: defined here when the following lines are indented further, else referenced.
            nxt = next((ln for ln in lines[i:] if ln.strip() and not ln.strip().startswith("#")), "")
            if len(nxt) - len(nxt.lstrip(" ")) > indent:
                struct = StructDef(field.element, i)
                current_message.struct.nested.append(struct)
                stack.append((indent, struct))
    return api


def parse_options(words, where):
    opts = {}
    for w in words:
        if "=" not in w:
            raise DescriptionError(f"{where}: expected key=value, got {w!r}")
        k, v = w.split("=", 1)
        opts[k] = v
    return opts


def parse_field(words, where):
    if len(words) < 2:
        raise DescriptionError(f"{where}: a field needs a name and a type")
    field = Field(words[0], words[1], where)
    rest = words[2:]
    while rest:
        w = rest.pop(0)
        if w.startswith("default="):
            field.default = " ".join([w[len("default="):]] + rest)
            break
        if w.startswith("nullable="):
            field.nullable = VersionRange.parse(w[len("nullable="):], where)
        elif w.startswith("tag="):
            field.tag = int(w[len("tag="):])
        elif re.fullmatch(r"v\d+(\+|-\d+)?", w):
            field.versions = VersionRange.parse(w, where)
        else:
            raise DescriptionError(f"{where}: unexpected {w!r}")
    if field.nullable is not None and not field.optional:
        raise DescriptionError(f"{where}: nullable= needs an optional type (append ?)")
    return field


class Emitter:
    def __init__(self, api):
        self.api = api
        self.out = []
        # Nested structs that are the type of a tagged field get `isDefault`, which decides whether it is written.
        self.tagged_structs = set()
        for m in api.messages:
            for s in [m.struct] + m.struct.nested:
                for f in s.fields:
                    if f.tag is not None and not f.is_array and f.element not in SCALARS and f.element not in (
                        "string", "bytes", "records"
                    ):
                        self.tagged_structs.add(f.element)

    def line(self, text="", level=0):
        self.out.append(("    " * level + text) if text else "")

    # --- types -----------------------------------------------------------------------------------------------
    def swift_type(self, f):
        e = f.element
        if f.is_array:
            if e in ARRAYS:
                inner = f"[{ARRAYS[e][0]}]"
            elif e in SCALARS or e in ("bytes", "records"):
                raise DescriptionError(f"{f.line_no}: arrays of {e} are not supported")
            else:
                inner = f"[{e}]"
        elif e in SCALARS:
            inner = SCALARS[e][0]
        elif e == "string":
            inner = "String"
        elif e == "bytes":
            inner = "[UInt8]"
        elif e == "records":
            inner = "RecordsField"
        else:
            inner = e
        return inner + ("?" if f.optional else "")

    def zero(self, f):
        """The value written when a non-nullable version meets nil, and the default default."""
        e = f.element
        if f.is_array:
            return "[]"
        if e in SCALARS:
            return SCALARS[e][1]
        if e == "string":
            return '""'
        if e == "bytes":
            return "[]"
        if e == "records":
            return ".empty"
        return f"{e}()"

    def default(self, f):
        if f.default is not None:
            return f.default
        if f.optional:
            return "nil"
        return self.zero(f)

    # --- codec expressions -----------------------------------------------------------------------------------
    def method(self, f, nullable, compact):
        """(method stem incl. Nullable, arguments after the value) of the reader/writer call for f, or None for a
        single nested struct, which reads and writes itself."""
        e = f.element
        n = "Nullable" if nullable else ""
        if f.is_array and e in ARRAYS:
            return n + ARRAYS[e][1], f"compact: {compact}"
        if f.is_array:
            return n + "StructArray", f"version: version, compact: {compact}"
        if e in SCALARS:
            return SCALARS[e][2], ""
        if e == "records":
            return "Records", f"compact: {compact}"
        if e in PREFIXED:
            return n + PREFIXED[e], f"compact: {compact}"
        if f.optional:
            raise DescriptionError(f"{f.line_no}: nullable structs are not supported")
        return None

    def read_expr(self, f, r, compact, nullable):
        """Expression reading f; `nullable` says whether null is allowed at this version."""
        m = self.method(f, nullable, compact)
        if m is None:
            return f"try {f.element}(reading: &{r}, version: version)"
        stem, args = m
        if f.is_array and f.element not in ARRAYS:
            args = f"{f.element}.self, {args}"
        return f"try {r}.read{stem}({args})"

    def write_stmt(self, f, w, compact, nullable):
        """Statement writing f; a nil optional at a version where the field is not nullable writes the zero value."""
        v = f.name if nullable or not f.optional else f"{f.name} ?? {self.zero(f)}"
        m = self.method(f, nullable, compact)
        if m is None:
            return f"{v}.write(to: &{w}, version: version)"
        stem, args = m
        return f"{w}.write{stem}({v}{', ' + args if args else ''})"

    # --- emission --------------------------------------------------------------------------------------------
    def field_versions(self, f):
        return f.versions or VersionRange(self.api.valid.lo, None)

    def flexible_always(self):
        return self.api.flexible is not None and self.api.flexible <= self.api.valid.lo

    def emit_struct(self, s, level, message=None, outer=None):
        api = self.api
        if message is not None and message.kind == "request":
            conformance = "KafkaRequest, Equatable"
        else:
            conformance = "KafkaMessage, Equatable"
        for d in s.doc:
            self.line(f"/// {d}".rstrip(), level)
        self.line(f"public struct {s.name}: {conformance} {{", level)
        body = level + 1
        if message is not None and message.kind == "request":
            response = next((m.struct.name for m in api.messages if m.kind == "response"), None)
            if response is None:
                raise DescriptionError(f"{os.path.relpath(api.path, ROOT)}: a request needs a response")
            self.line(f"public typealias Response = {response}", body)
            self.line(f"public static let apiKey = APIKey.{api.api_key}", body)
            self.line(f"public static let versions: ClosedRange<Int16> = {api.valid.lo}...{api.valid.hi}", body)
            flex = "nil" if api.flexible is None else str(api.flexible)
            self.line(f"public static let firstFlexibleVersion: Int16? = {flex}", body)
            self.line()
        elif message is not None and message.kind == "message":
            self.line(f"public static let versions: ClosedRange<Int16> = {api.valid.lo}...{api.valid.hi}", body)
            self.line()
        if message is not None:
            for n in s.nested:
                self.emit_struct(n, body)
                self.line()
        # Properties.
        for f in s.fields:
            notes = []
            fv = self.field_versions(f)
            if fv.lo > api.valid.lo or fv.hi is not None:
                notes.append(fv.note())
            if f.tag is not None:
                notes.append(f"tag {f.tag}")
            if f.nullable is not None and f.nullable.lo > fv.lo:
                notes.append(f"nullable from v{f.nullable.lo}")
            doc = list(f.doc)
            if notes:
                head = ", ".join(notes) + "."
                doc = [head + (" " + doc[0] if doc else "")] + doc[1:]
            for d in doc:
                self.line(f"/// {d}".rstrip(), body)
            self.line(f"public var {f.name}: {self.swift_type(f)} = {self.default(f)}", body)
        if s.fields:
            self.line()
        # Memberwise init.
        params = [f"{f.name}: {self.swift_type(f)} = {self.default(f)}" for f in s.fields]
        self.emit_signature("public init(", params, ") {", body)
        for f in s.fields:
            self.line(f"self.{f.name} = {f.name}", body + 1)
        self.line("}", body)
        self.line()
        if s.name in self.tagged_structs:
            self.line("/// True when every field holds its default: the tagged field is then not written.", body)
            self.line("public var isDefault: Bool { self == Self() }", body)
            self.line()
        self.emit_codec(s, body, reading=True)
        self.line()
        self.emit_codec(s, body, reading=False)
        self.line("}", level)

    def emit_signature(self, head, params, tail, level):
        indent = "    " * level
        one = indent + head + ", ".join(params) + tail
        if len(one) <= 120:
            self.line(head + ", ".join(params) + tail, level)
            return
        self.line(head, level)
        inner = "    " * (level + 1)
        current = ""
        for p in params:
            candidate = (current + ", " + p) if current else p
            if len(inner + candidate + ",") > 120 and current:
                self.line(current + ",", level + 1)
                current = p
            else:
                current = candidate
        if current:
            self.line(current, level + 1)
        self.line(tail.strip(), level)

    def compact_expr(self):
        if self.api.flexible is None:
            return "false"
        return "true" if self.flexible_always() else "flexible"

    def declares_flexible(self, s):
        return self.api.flexible is not None and not self.flexible_always()

    def emit_conditional(self, cond, stmt, level):
        if cond is None:
            self.line(stmt, level)
            return
        text = f"if {cond} {{ {stmt} }}"
        if len("    " * level + text) <= 120:
            self.line(text, level)
        else:
            self.line(f"if {cond} {{", level)
            self.line(stmt, level + 1)
            self.line("}", level)

    def emit_codec(self, s, level, reading):
        """`init(reading:version:)` or `write(to:version:)`: the fields in order, then the tagged-field section."""
        api = self.api
        if reading:
            self.line("public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {", level)
        else:
            self.line("public func write(to w: inout ProtocolWriter, version: Int16) {", level)
        body = level + 1
        if self.declares_flexible(s):
            self.line(f"let flexible = version >= {api.flexible}", body)
        compact = self.compact_expr()
        for cond, fields in self.runs(s):
            stmts = []
            for f in fields:
                stmts += self.read_stmts(f, "r", compact) if reading else self.write_stmts(f, "w", compact)
            self.emit_guarded(cond, stmts, body)
        if api.flexible is not None:
            guard = None if self.flexible_always() else "flexible"
            inner = body if guard is None else body + 1
            tagged = sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)
            if not tagged:
                stmts = ["try r.readTaggedFields()" if reading else "w.writeEmptyTaggedFields()"]
            elif reading:
                stmts = self.tag_read_stmts(tagged)
            else:
                stmts = self.tag_write_stmts(tagged, inner)
            self.emit_guarded(guard, stmts, body)
        self.line("}", level)

    def tag_condition(self, f):
        """Version condition of a tagged field, knowing tags are only read and written at flexible versions."""
        api = self.api
        return self.field_versions(f).condition(VersionRange(max(api.valid.lo, api.flexible), api.valid.hi))

    def tag_nullable(self, f):
        fv = self.field_versions(f)
        return f.optional and (f.nullable is None or f.nullable.lo <= fv.lo)

    def tag_read_stmts(self, tagged):
        """Known tags are decoded from their payload; every other tag is skipped by the cursor."""
        stmts = [
            "var tags = try r.beginTaggedFields()",
            "while let field = try r.nextTaggedField(&tags) {",
            "    var sub = field.reader",
            "    switch field.tag {",
        ]
        for f in tagged:
            cond = self.tag_condition(f)
            case = f"case {f.tag}" + (f" where {cond}" if cond else "") + ":"
            stmts.append(f"    {case} {f.name} = {self.read_expr(f, 'sub', 'true', self.tag_nullable(f))}")
        return stmts + ["    default: break", "    }", "}"]

    def tag_write_stmts(self, tagged, level):
        """Tagged fields holding their default are not written (librdkafka 2.0.2 mis-skips them)."""
        stmts = ["var tags = TaggedFields()"]
        for f in tagged:
            cond = self.tag_condition(f)
            default = self.default(f)
            if default == "[]":
                differs = f"!{f.name}.isEmpty"
            elif f.element in self.tagged_structs and not f.is_array:
                differs = f"!{f.name}.isDefault"
            else:
                differs = f"{f.name} != {default}"
            full = f"{cond} && {differs}" if cond else differs
            add = f"tags.add({f.tag}) {{ {self.write_stmt(f, '$0', 'true', self.tag_nullable(f))} }}"
            if len("    " * level + f"if {full} {{ {add} }}") <= 120:
                stmts.append(f"if {full} {{ {add} }}")
            else:
                stmts += [f"if {full} {{", f"    {add}", "}"]
        return stmts + ["w.writeTaggedFields(tags)"]

    def runs(self, s):
        """Consecutive untagged fields sharing one version condition, as (condition, [fields])."""
        out = []
        for f in s.fields:
            if f.tag is not None:
                continue
            cond = self.field_versions(f).condition(self.api.valid)
            if out and out[-1][0] == cond:
                out[-1][1].append(f)
            else:
                out.append((cond, [f]))
        return out

    def read_stmts(self, f, r, compact):
        fv = self.field_versions(f)
        if f.optional and f.nullable is not None and f.nullable.lo > fv.lo:
            # Nullable only from a later version: two reads.
            return [
                f"if version >= {f.nullable.lo} {{",
                f"    {f.name} = {self.read_expr(f, r, compact, True)}",
                "} else {",
                f"    {f.name} = {self.read_expr(f, r, compact, False)}",
                "}",
            ]
        return [f"{f.name} = {self.read_expr(f, r, compact, f.optional)}"]

    def write_stmts(self, f, w, compact):
        fv = self.field_versions(f)
        if f.optional and f.nullable is not None and f.nullable.lo > fv.lo:
            return [
                f"if version >= {f.nullable.lo} {{",
                "    " + self.write_stmt(f, w, compact, True),
                "} else {",
                "    " + self.write_stmt(f, w, compact, False),
                "}",
            ]
        return [self.write_stmt(f, w, compact, f.optional)]

    def emit_guarded(self, cond, stmts, level):
        if len(stmts) == 1:
            self.emit_conditional(cond, stmts[0], level)
        else:
            self.emit_block(cond, stmts, level)

    def emit_block(self, cond, stmts, level):
        if cond is not None:
            self.line(f"if {cond} {{", level)
            level += 1
        for s in stmts:
            ind = (len(s) - len(s.lstrip(" "))) // 4
            self.line(s.strip(), level + ind)
        if cond is not None:
            self.line("}", level - 1)

    def emit(self):
        rel = os.path.relpath(self.api.path, ROOT)
        self.line(f"// Generated by tools/protocol-gen from {rel}; do not edit.")
        self.line()
        for d in self.api.header_doc:
            self.line(f"/// {d}".rstrip())
        first = True
        for m in self.api.messages:
            if not first:
                self.line()
            first = False
            self.emit_struct(m.struct, 0, message=m)
        return "\n".join(wrap(line) for line in self.out) + "\n"


def wrap(line):
    """Breaks a line longer than 120 columns the way swift-format does for the shapes the emitter produces."""
    if len(line) <= 120:
        return line
    indent = line[: len(line) - len(line.lstrip(" "))]
    m = re.fullmatch(r"(\s*)(case [^:]*:) (.*)", line)
    if m:
        return wrap(f"{indent}{m.group(2)}") + "\n" + wrap(f"{indent}    {m.group(3)}")
    m = re.fullmatch(r"(\s*)([^(]*?\()(.*\))", line)
    if m and m.group(3).count("(") == m.group(3).count(")") - 1:
        return f"{indent}{m.group(2).lstrip()}\n{indent}    {m.group(3)}"
    return line


def generate_all():
    """Returns {output path: text} for every description."""
    results = {}
    names = os.listdir(MESSAGES) if os.path.isdir(MESSAGES) else []
    for name in sorted(names):
        if not name.endswith(".msg"):
            continue
        api = parse(os.path.join(MESSAGES, name))
        results[os.path.join(OUTPUT, name[: -len(".msg")] + ".swift")] = Emitter(api).emit()
    return results


def main(argv):
    check = "--check" in argv[1:]
    try:
        results = generate_all()
    except DescriptionError as e:
        print(f"protocol-gen: {e}", file=sys.stderr)
        return 2
    existing = set()
    if os.path.isdir(OUTPUT):
        existing = {os.path.join(OUTPUT, n) for n in os.listdir(OUTPUT) if n.endswith(".swift")}
    stale = sorted(existing - set(results))
    differing = []
    for path, text in sorted(results.items()):
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            differing.append(path)
            if not check:
                os.makedirs(OUTPUT, exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    if not check:
        for path in stale:
            os.remove(path)
    if check:
        for path in differing:
            print(f"protocol-gen: {os.path.relpath(path, ROOT)} differs from its description", file=sys.stderr)
        for path in stale:
            print(f"protocol-gen: {os.path.relpath(path, ROOT)} has no description", file=sys.stderr)
        if differing or stale:
            print("protocol-gen: run tools/protocol-gen/generate.py and commit the result", file=sys.stderr)
            return 1
        print(f"protocol-gen: {len(results)} generated files match their descriptions")
        return 0
    print(f"protocol-gen: {len(results)} descriptions, {len(differing)} files written, {len(stale)} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
