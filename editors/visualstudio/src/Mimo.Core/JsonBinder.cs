// Maps JsonValue <-> payload classes through their [DataContract] / [DataMember(Name = "...")] attributes.
// The attributes are the single list of wire names the core reads and writes: the protocol drift test
// (tests/Mimo.Core.Tests/SchemaDriftTests.cs) reads the same attributes to check them against the server's
// JSON Schema.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Runtime.Serialization;

namespace Mimo.Core
{
    /// <summary>A payload that does not have the shape the core expects (names the JSON path).</summary>
    public sealed class ProtocolException : Exception
    {
        public ProtocolException(string message) : base(message) { }
    }

    /// <summary>One wire member of a payload class.</summary>
    public sealed class WireMember
    {
        public string Name;
        public Type Type;
        internal PropertyInfo Property;
        internal FieldInfo Field;

        internal object GetValue(object o) { return Property != null ? Property.GetValue(o, null) : Field.GetValue(o); }

        internal void SetValue(object o, object v)
        {
            if (Property != null) Property.SetValue(o, v, null);
            else Field.SetValue(o, v);
        }
    }

    public static class JsonBinder
    {
        private static readonly Dictionary<Type, List<WireMember>> cache = new Dictionary<Type, List<WireMember>>();

        public static bool IsPayloadType(Type t)
        {
            return t.GetCustomAttributes(typeof(DataContractAttribute), false).Length > 0;
        }

        /// <summary>The wire members of a [DataContract] class, in declaration order.</summary>
        public static IList<WireMember> Members(Type t)
        {
            lock (cache)
            {
                List<WireMember> list;
                if (cache.TryGetValue(t, out list)) return list;
                if (!IsPayloadType(t)) throw new ArgumentException(t.Name + " is not a [DataContract] payload class");
                list = new List<WireMember>();
                const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
                foreach (var m in t.GetMembers(flags).OrderBy(m => m.MetadataToken))
                {
                    var attr = (DataMemberAttribute)m.GetCustomAttributes(typeof(DataMemberAttribute), true).FirstOrDefault();
                    if (attr == null) continue;
                    var p = m as PropertyInfo;
                    var f = m as FieldInfo;
                    if (p == null && f == null) continue;
                    list.Add(new WireMember
                    {
                        Name = string.IsNullOrEmpty(attr.Name) ? m.Name : attr.Name,
                        Type = p != null ? p.PropertyType : f.FieldType,
                        Property = p,
                        Field = f,
                    });
                }
                cache[t] = list;
                return list;
            }
        }

        /// <summary>The payload class inside a member type: T for T, List&lt;T&gt;, Dictionary&lt;string, T&gt;; else null.</summary>
        public static Type NestedPayloadType(Type t)
        {
            var e = ElementType(t);
            if (e != null) return NestedPayloadType(e);
            return IsPayloadType(t) ? t : null;
        }

        private static Type ElementType(Type t)
        {
            if (t.IsGenericType)
            {
                var g = t.GetGenericTypeDefinition();
                if (g == typeof(List<>)) return t.GetGenericArguments()[0];
                if (g == typeof(Dictionary<,>)) return t.GetGenericArguments()[1];
            }
            return null;
        }

        public static T Read<T>(JsonValue v)
        {
            return (T)Read(typeof(T), v, "$");
        }

        public static object Read(Type t, JsonValue v, string path)
        {
            if (t == typeof(JsonValue)) return v ?? JsonValue.Null;
            var nullable = Nullable.GetUnderlyingType(t);
            if (v == null || v.IsNull)
            {
                if (!t.IsValueType || nullable != null) return null;
                throw new ProtocolException(path + ": null where " + t.Name + " is expected");
            }
            try
            {
                if (nullable != null) return Read(nullable, v, path);
                if (t == typeof(string)) return v.AsString();
                if (t == typeof(bool)) return v.AsBool();
                if (t == typeof(int)) return checked((int)v.AsLong());
                if (t == typeof(long)) return v.AsLong();
                if (t == typeof(double)) return v.AsDouble();
            }
            catch (JsonException e)
            {
                throw new ProtocolException(path + ": " + e.Message);
            }
            catch (OverflowException)
            {
                throw new ProtocolException(path + ": number out of range");
            }
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))
            {
                if (v.Kind != JsonKind.Array) throw new ProtocolException(path + ": expected an array");
                var elem = t.GetGenericArguments()[0];
                var list = (IList)Activator.CreateInstance(t);
                for (int i = 0; i < v.Count; i++) list.Add(Read(elem, v[i], path + "[" + i + "]"));
                return list;
            }
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>) && t.GetGenericArguments()[0] == typeof(string))
            {
                if (v.Kind != JsonKind.Object) throw new ProtocolException(path + ": expected an object");
                var elem = t.GetGenericArguments()[1];
                var dict = (IDictionary)Activator.CreateInstance(t);
                foreach (var m in v.Members) dict[m.Key] = Read(elem, m.Value, path + "." + m.Key);
                return dict;
            }
            if (IsPayloadType(t))
            {
                if (v.Kind != JsonKind.Object) throw new ProtocolException(path + ": expected an object for " + t.Name);
                var o = Activator.CreateInstance(t, true);
                foreach (var m in Members(t))
                {
                    var mv = v.Get(m.Name);
                    if (mv == null) continue; // absent: keep the class's default
                    m.SetValue(o, Read(m.Type, mv, path + "." + m.Name));
                }
                return o;
            }
            throw new ArgumentException("JsonBinder cannot read " + t.FullName);
        }

        /// <summary>A payload (or list, string, number...) as JSON. Null members are left out.</summary>
        public static JsonValue Write(object o)
        {
            if (o == null) return JsonValue.Null;
            var jv = o as JsonValue;
            if (jv != null) return jv;
            var s = o as string;
            if (s != null) return JsonValue.String(s);
            if (o is bool) return JsonValue.Bool((bool)o);
            if (o is int) return JsonValue.Number((int)o);
            if (o is long) return JsonValue.Number((long)o);
            if (o is double) return JsonValue.Number((double)o);
            var t = o.GetType();
            if (IsPayloadType(t))
            {
                var obj = JsonValue.NewObject();
                foreach (var m in Members(t))
                {
                    var v = m.GetValue(o);
                    if (v == null) continue;
                    obj.Set(m.Name, Write(v));
                }
                return obj;
            }
            var dict = o as IDictionary;
            if (dict != null)
            {
                var obj = JsonValue.NewObject();
                foreach (DictionaryEntry e in dict) obj.Set(Convert.ToString(e.Key, CultureInfo.InvariantCulture), Write(e.Value));
                return obj;
            }
            var seq = o as IEnumerable;
            if (seq != null)
            {
                var arr = JsonValue.NewArray();
                foreach (var e in seq) arr.Add(Write(e));
                return arr;
            }
            throw new ArgumentException("JsonBinder cannot write " + t.FullName);
        }
    }
}
