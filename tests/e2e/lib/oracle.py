"""Independent oracle for the bytes streamgate must produce (spec 1.1, 1.2).

Renders MODE Event JSON the way the contract defines it (JavaScript's
JSON.stringify over keys sorted by UTF-8 bytes, JS number formatting) and
builds MessagePack bulk payloads by hand, byte for byte, so a test can choose
each header form (fixstr/str8/.../bin32, fixarray/array16/array32).
Pure functions; no state.
"""

import calendar
import decimal
import json
import struct
import time


# ---------------------------------------------------------------- JSON ----

def js_number(x):
    """Number.prototype.toString for a finite double (ECMA-262 6.1.6.1.20)."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("not finite: %r" % x)
    if x == 0:
        return "0"  # also -0, as JS prints it
    sign = "-" if x < 0 else ""
    # repr() is the shortest round-trip form, the same digits JS picks.
    tup = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(str(d) for d in tup.digits)
    k = len(digits)
    n = tup.exponent + k
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + \
            ("+" if e >= 0 else "-") + str(abs(e))
    return sign + s


def js_string(s):
    """JSON.stringify of a string: Python's json.dumps escapes the same set
    (quote, backslash, \\b\\f\\n\\r\\t, other controls as lower-case \\u00xx)
    and leaves '/', DEL, U+2028/9 and all non-ASCII raw."""
    return json.dumps(s, ensure_ascii=False)


def render_value(v):
    """eventData rendering of a Python value that went into a Struct."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return js_number(v)
    if isinstance(v, str):
        return js_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(render_value(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(js_string(k) + ":" + render_value(v[k])
                              for k in keys) + "}"
    raise TypeError(type(v))


def format_timestamp(seconds, nanos):
    """RFC 3339 UTC, fraction: none, or the fewest of 3/6/9 digits."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if nanos == 0:
        return base + "Z"
    if nanos % 1000000 == 0:
        return base + ".%03dZ" % (nanos // 1000000)
    if nanos % 1000 == 0:
        return base + ".%06dZ" % (nanos // 1000)
    return base + ".%09dZ" % nanos


def utc_seconds(y, mo, d, h=0, mi=0, s=0):
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))


TS_PLACEHOLDER = "\x00TS\x00"  # stands for a gateway-stamped timestamp


def render_event(event_type, data, timestamp, home_id, device_id=None,
                 device_class=None, device_ip=None):
    """The record bytes of one event. `timestamp` is the formatted string,
    or TS_PLACEHOLDER when the gateway stamps it."""
    out = ['{"eventType":', js_string(event_type),
           ',"eventData":', render_value(data if data is not None else {}),
           ',"timestamp":',
           '"' + TS_PLACEHOLDER + '"' if timestamp == TS_PLACEHOLDER
           else js_string(timestamp),
           ',"homeId":', str(home_id)]
    if device_id is not None:
        out += [',"originDeviceId":', str(device_id)]
    if device_class:
        out += [',"originDeviceClass":', js_string(device_class)]
    if device_ip:
        out += [',"originDeviceIp":', js_string(device_ip)]
    out.append("}")
    return "".join(out).encode("utf-8")


# ----------------------------------------------------------- MessagePack --

def mp_str(data, form=None):
    """A str-family object; `form` forces fixstr/str8/str16/str32."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    n = len(data)
    form = form or ("fixstr" if n < 32 else "str8" if n < 256 else
                    "str16" if n < 65536 else "str32")
    if form == "fixstr":
        assert n < 32
        return bytes([0xA0 | n]) + data
    if form == "str8":
        return b"\xd9" + struct.pack(">B", n) + data
    if form == "str16":
        return b"\xda" + struct.pack(">H", n) + data
    return b"\xdb" + struct.pack(">I", n) + data


def mp_bin(data, form=None):
    """A bin-family object; `form` forces bin8/bin16/bin32."""
    n = len(data)
    form = form or ("bin8" if n < 256 else "bin16" if n < 65536 else "bin32")
    if form == "bin8":
        return b"\xc4" + struct.pack(">B", n) + data
    if form == "bin16":
        return b"\xc5" + struct.pack(">H", n) + data
    return b"\xc6" + struct.pack(">I", n) + data


def mp_array_header(n, form=None):
    form = form or ("fixarray" if n < 16 else "array16" if n < 65536
                    else "array32")
    if form == "fixarray":
        assert n < 16
        return bytes([0x90 | n])
    if form == "array16":
        return b"\xdc" + struct.pack(">H", n)
    return b"\xdd" + struct.pack(">I", n)


MP_VERSION = mp_str("1.0")  # a3 '1' '.' '0'
