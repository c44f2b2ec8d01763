// A small JSON document model (parse, build, write) for the wire of mimo-lsp. No Visual Studio types and no
// third-party packages, so that the same code compiles with mono's mcs here and with MSBuild in the VSIX.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Mimo.Core
{
    public enum JsonKind { Null, Bool, Number, String, Array, Object }

    public sealed class JsonException : Exception
    {
        public JsonException(string message) : base(message) { }
    }

    /// <summary>One JSON value. Objects keep their members in insertion order.</summary>
    public sealed class JsonValue
    {
        public static readonly JsonValue Null = new JsonValue(JsonKind.Null);
        public static readonly JsonValue True = new JsonValue(JsonKind.Bool) { boolValue = true };
        public static readonly JsonValue False = new JsonValue(JsonKind.Bool) { boolValue = false };

        public JsonKind Kind { get; private set; }
        private bool boolValue;
        private string text; // string value, or the number's literal text
        private List<JsonValue> items;
        private List<KeyValuePair<string, JsonValue>> members;
        private Dictionary<string, int> index;

        private JsonValue(JsonKind kind) { Kind = kind; }

        public static JsonValue String(string s)
        {
            if (s == null) return Null;
            return new JsonValue(JsonKind.String) { text = s };
        }

        public static JsonValue Bool(bool b) { return b ? True : False; }

        public static JsonValue Number(long n)
        {
            return new JsonValue(JsonKind.Number) { text = n.ToString(CultureInfo.InvariantCulture) };
        }

        public static JsonValue Number(double d)
        {
            if (double.IsNaN(d) || double.IsInfinity(d)) throw new JsonException("JSON has no NaN or infinity");
            return new JsonValue(JsonKind.Number) { text = d.ToString("R", CultureInfo.InvariantCulture) };
        }

        public static JsonValue NewArray() { return new JsonValue(JsonKind.Array) { items = new List<JsonValue>() }; }

        public static JsonValue NewObject()
        {
            return new JsonValue(JsonKind.Object) { members = new List<KeyValuePair<string, JsonValue>>(), index = new Dictionary<string, int>() };
        }

        public static JsonValue ArrayOf(IEnumerable<JsonValue> values)
        {
            var a = NewArray();
            foreach (var v in values) a.Add(v);
            return a;
        }

        public static JsonValue ArrayOf(IEnumerable<string> values)
        {
            var a = NewArray();
            foreach (var v in values) a.Add(String(v));
            return a;
        }

        public bool IsNull { get { return Kind == JsonKind.Null; } }

        // ---- objects -------------------------------------------------------------------------------

        /// <summary>Sets (or replaces) a member; returns this object for chaining.</summary>
        public JsonValue Set(string name, JsonValue value)
        {
            RequireKind(JsonKind.Object);
            int i;
            if (index.TryGetValue(name, out i)) members[i] = new KeyValuePair<string, JsonValue>(name, value ?? Null);
            else
            {
                index[name] = members.Count;
                members.Add(new KeyValuePair<string, JsonValue>(name, value ?? Null));
            }
            return this;
        }

        public JsonValue Set(string name, string value) { return Set(name, String(value)); }
        public JsonValue Set(string name, long value) { return Set(name, Number(value)); }
        public JsonValue Set(string name, bool value) { return Set(name, Bool(value)); }

        public bool Has(string name) { return Kind == JsonKind.Object && index.ContainsKey(name); }

        /// <summary>The member's value, or null (not JsonValue.Null) when this is not an object or has no such member.</summary>
        public JsonValue Get(string name)
        {
            if (Kind != JsonKind.Object) return null;
            int i;
            return index.TryGetValue(name, out i) ? members[i].Value : null;
        }

        public JsonValue this[string name] { get { return Get(name); } }

        public IEnumerable<KeyValuePair<string, JsonValue>> Members
        {
            get { RequireKind(JsonKind.Object); return members; }
        }

        public IEnumerable<string> Keys
        {
            get
            {
                RequireKind(JsonKind.Object);
                foreach (var m in members) yield return m.Key;
            }
        }

        // ---- arrays --------------------------------------------------------------------------------

        public JsonValue Add(JsonValue value)
        {
            RequireKind(JsonKind.Array);
            items.Add(value ?? Null);
            return this;
        }

        public IList<JsonValue> Items { get { RequireKind(JsonKind.Array); return items; } }

        public int Count
        {
            get
            {
                if (Kind == JsonKind.Array) return items.Count;
                if (Kind == JsonKind.Object) return members.Count;
                throw new JsonException("a " + Kind + " has no count");
            }
        }

        public JsonValue this[int i] { get { RequireKind(JsonKind.Array); return items[i]; } }

        // ---- scalars -------------------------------------------------------------------------------

        public string AsString()
        {
            if (Kind == JsonKind.String) return text;
            throw new JsonException("expected a string, got " + Describe());
        }

        public bool AsBool()
        {
            if (Kind == JsonKind.Bool) return boolValue;
            throw new JsonException("expected a boolean, got " + Describe());
        }

        public long AsLong()
        {
            if (Kind != JsonKind.Number) throw new JsonException("expected a number, got " + Describe());
            long n;
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
            double d = AsDouble();
            if (d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue) return (long)d;
            throw new JsonException("expected an integer, got " + text);
        }

        public double AsDouble()
        {
            if (Kind != JsonKind.Number) throw new JsonException("expected a number, got " + Describe());
            return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        /// <summary>Member as string, or null when absent or null.</summary>
        public string GetString(string name)
        {
            var v = Get(name);
            return v == null || v.IsNull ? null : v.AsString();
        }

        public long? GetLong(string name)
        {
            var v = Get(name);
            return v == null || v.IsNull ? (long?)null : v.AsLong();
        }

        public bool? GetBool(string name)
        {
            var v = Get(name);
            return v == null || v.IsNull ? (bool?)null : v.AsBool();
        }

        private void RequireKind(JsonKind k)
        {
            if (Kind != k) throw new JsonException("expected " + (k == JsonKind.Array ? "an array" : "an object") + ", got " + Describe());
        }

        private string Describe()
        {
            switch (Kind)
            {
                case JsonKind.Null: return "null";
                case JsonKind.Bool: return boolValue ? "true" : "false";
                case JsonKind.Number: return "number " + text;
                case JsonKind.String: return "string";
                case JsonKind.Array: return "an array";
                default: return "an object";
            }
        }

        // ---- writing -------------------------------------------------------------------------------

        public override string ToString()
        {
            var sb = new StringBuilder();
            Write(sb);
            return sb.ToString();
        }

        public void Write(StringBuilder sb)
        {
            switch (Kind)
            {
                case JsonKind.Null: sb.Append("null"); break;
                case JsonKind.Bool: sb.Append(boolValue ? "true" : "false"); break;
                case JsonKind.Number: sb.Append(text); break;
                case JsonKind.String: WriteString(sb, text); break;
                case JsonKind.Array:
                    sb.Append('[');
                    for (int i = 0; i < items.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        items[i].Write(sb);
                    }
                    sb.Append(']');
                    break;
                default:
                    sb.Append('{');
                    for (int i = 0; i < members.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        WriteString(sb, members[i].Key);
                        sb.Append(':');
                        members[i].Value.Write(sb);
                    }
                    sb.Append('}');
                    break;
            }
        }

        private static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        /// <summary>Structural equality (numbers compared by value).</summary>
        public bool DeepEquals(JsonValue other)
        {
            if (other == null || other.Kind != Kind) return false;
            switch (Kind)
            {
                case JsonKind.Null: return true;
                case JsonKind.Bool: return boolValue == other.boolValue;
                case JsonKind.Number: return text == other.text || AsDouble() == other.AsDouble();
                case JsonKind.String: return text == other.text;
                case JsonKind.Array:
                    if (items.Count != other.items.Count) return false;
                    for (int i = 0; i < items.Count; i++) if (!items[i].DeepEquals(other.items[i])) return false;
                    return true;
                default:
                    if (members.Count != other.members.Count) return false;
                    foreach (var m in members)
                    {
                        var o = other.Get(m.Key);
                        if (o == null || !m.Value.DeepEquals(o)) return false;
                    }
                    return true;
            }
        }

        // ---- parsing -------------------------------------------------------------------------------

        /// <summary>Parses one JSON text. maxDepth guards against hostile nesting.</summary>
        public static JsonValue Parse(string json, int maxDepth = 256)
        {
            if (json == null) throw new ArgumentNullException("json");
            var p = new Parser(json, maxDepth);
            p.SkipWs();
            var v = p.ParseValue(0);
            p.SkipWs();
            if (p.Pos != json.Length) throw p.Error("unexpected text after the JSON value");
            return v;
        }

        private sealed class Parser
        {
            private readonly string s;
            private readonly int maxDepth;
            public int Pos;

            public Parser(string s, int maxDepth) { this.s = s; this.maxDepth = maxDepth; }

            public JsonException Error(string what)
            {
                return new JsonException(what + " at offset " + Pos);
            }

            public void SkipWs()
            {
                while (Pos < s.Length && (s[Pos] == ' ' || s[Pos] == '\t' || s[Pos] == '\n' || s[Pos] == '\r')) Pos++;
            }

            public JsonValue ParseValue(int depth)
            {
                if (depth > maxDepth) throw Error("JSON nested deeper than " + maxDepth);
                if (Pos >= s.Length) throw Error("unexpected end of JSON");
                char c = s[Pos];
                switch (c)
                {
                    case '{': return ParseObject(depth);
                    case '[': return ParseArray(depth);
                    case '"': return String(ParseString());
                    case 't': Expect("true"); return True;
                    case 'f': Expect("false"); return False;
                    case 'n': Expect("null"); return Null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
                        throw Error("unexpected character '" + c + "'");
                }
            }

            private void Expect(string word)
            {
                if (string.CompareOrdinal(s, Pos, word, 0, word.Length) != 0) throw Error("expected " + word);
                Pos += word.Length;
            }

            private JsonValue ParseObject(int depth)
            {
                var o = NewObject();
                Pos++; // {
                SkipWs();
                if (Pos < s.Length && s[Pos] == '}') { Pos++; return o; }
                for (;;)
                {
                    SkipWs();
                    if (Pos >= s.Length || s[Pos] != '"') throw Error("expected a member name");
                    string name = ParseString();
                    SkipWs();
                    if (Pos >= s.Length || s[Pos] != ':') throw Error("expected ':'");
                    Pos++;
                    SkipWs();
                    o.Set(name, ParseValue(depth + 1));
                    SkipWs();
                    if (Pos >= s.Length) throw Error("unexpected end of JSON in an object");
                    if (s[Pos] == ',') { Pos++; continue; }
                    if (s[Pos] == '}') { Pos++; return o; }
                    throw Error("expected ',' or '}'");
                }
            }

            private JsonValue ParseArray(int depth)
            {
                var a = NewArray();
                Pos++; // [
                SkipWs();
                if (Pos < s.Length && s[Pos] == ']') { Pos++; return a; }
                for (;;)
                {
                    SkipWs();
                    a.Add(ParseValue(depth + 1));
                    SkipWs();
                    if (Pos >= s.Length) throw Error("unexpected end of JSON in an array");
                    if (s[Pos] == ',') { Pos++; continue; }
                    if (s[Pos] == ']') { Pos++; return a; }
                    throw Error("expected ',' or ']'");
                }
            }

            private string ParseString()
            {
                Pos++; // opening quote
                var sb = new StringBuilder();
                while (Pos < s.Length)
                {
                    char c = s[Pos++];
                    if (c == '"') return sb.ToString();
                    if (c == '\\')
                    {
                        if (Pos >= s.Length) break;
                        char e = s[Pos++];
                        switch (e)
                        {
                            case '"': sb.Append('"'); break;
                            case '\\': sb.Append('\\'); break;
                            case '/': sb.Append('/'); break;
                            case 'b': sb.Append('\b'); break;
                            case 'f': sb.Append('\f'); break;
                            case 'n': sb.Append('\n'); break;
                            case 'r': sb.Append('\r'); break;
                            case 't': sb.Append('\t'); break;
                            case 'u':
                                if (Pos + 4 > s.Length) throw Error("short \\u escape");
                                int code;
                                if (!int.TryParse(s.Substring(Pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out code))
                                    throw Error("bad \\u escape");
                                sb.Append((char)code);
                                Pos += 4;
                                break;
                            default: throw Error("bad escape \\" + e);
                        }
                    }
                    else if (c < 0x20) throw Error("control character in a string");
                    else sb.Append(c);
                }
                throw Error("unterminated string");
            }

            private JsonValue ParseNumber()
            {
                int start = Pos;
                if (s[Pos] == '-') Pos++;
                while (Pos < s.Length && "0123456789+-.eE".IndexOf(s[Pos]) >= 0) Pos++;
                string lit = s.Substring(start, Pos - start);
                double d;
                if (!double.TryParse(lit, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) throw Error("bad number " + lit);
                return new JsonValue(JsonKind.Number) { text = lit };
            }
        }
    }
}
