// Protocol drift: every command and notification the core uses exists in the server's checked-in JSON
// Schema (mimo_lsp/protocol/schema.json, or $MIMO_PROTOCOL_SCHEMA), and every wire name the core's payload
// classes read or write ([DataMember(Name)]) is a property of the matching definition
// (Mimo.Core.ProtocolSchemaMap, nested classes followed through the schema's $refs).
//
// Schema shape: {"commands": {"mimo.task.start": {"params": "TaskStartParams", "result": "TaskStartResult"}, ...},
//                "notifications": {"mimo/task/plan": "PlanNotification", ...},
//                "definitions": {"TaskStartParams": {"properties": {...}, "required": [...]}, ...}}
// (a name may also be written as "#/definitions/X"; "$defs" is read like "definitions"; a command's params or
// result may be an inline schema object instead of a name).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mimo.Core;
using NUnit.Framework;

namespace Mimo.Core.Tests
{
    public sealed class SchemaDriftChecker
    {
        private readonly JsonValue schema;
        private readonly JsonValue definitions;
        public readonly List<string> Errors = new List<string>();
        /// <summary>Classes the schema gives no definition for (a free-form object there): not checkable.</summary>
        public readonly List<string> Unchecked = new List<string>();
        private readonly HashSet<string> visited = new HashSet<string>();

        public SchemaDriftChecker(JsonValue schema)
        {
            this.schema = schema;
            definitions = schema.Get("definitions") ?? schema.Get("$defs") ?? JsonValue.NewObject();
        }

        private static string NameOf(JsonValue v)
        {
            if (v == null || v.Kind != JsonKind.String) return null;
            var s = v.AsString();
            int slash = s.LastIndexOf('/');
            return slash >= 0 ? s.Substring(slash + 1) : s;
        }

        private static string MapName(Type t)
        {
            string n;
            return ProtocolSchemaMap.Definitions.TryGetValue(t, out n) ? n : null;
        }

        /// <summary>The definition a schema node refers to (through items, anyOf, oneOf, allOf, additionalProperties).</summary>
        public static string RefIn(JsonValue node, int depth = 0)
        {
            if (node == null || node.Kind != JsonKind.Object || depth > 6) return null;
            var r = node.Get("$ref");
            if (r != null) return NameOf(r);
            foreach (var key in new[] { "items", "additionalProperties" })
            {
                var found = RefIn(node.Get(key), depth + 1);
                if (found != null) return found;
            }
            foreach (var key in new[] { "anyOf", "oneOf", "allOf" })
            {
                var list = node.Get(key);
                if (list == null || list.Kind != JsonKind.Array) continue;
                foreach (var alt in list.Items)
                {
                    var found = RefIn(alt, depth + 1);
                    if (found != null) return found;
                }
            }
            return null;
        }

        public void CheckCommands(IEnumerable<CommandSpec> specs)
        {
            var commands = schema.Get("commands");
            foreach (var spec in specs)
            {
                var entry = commands == null ? null : commands.Get(spec.Name);
                if (entry == null)
                {
                    Errors.Add("command " + spec.Name + ": not in the schema");
                    continue;
                }
                CheckSide(spec.Name + " params", spec.Params, entry.Get("params"), true);
                CheckSide(spec.Name + " result", spec.Result, entry.Get("result"), false);
            }
        }

        public void CheckNotifications(IEnumerable<KeyValuePair<string, Type>> notifications)
        {
            var all = schema.Get("notifications");
            foreach (var n in notifications)
            {
                var entry = all == null ? null : all.Get(n.Key);
                if (entry == null)
                {
                    Errors.Add("notification " + n.Key + ": not in the schema");
                    continue;
                }
                CheckSide("notification " + n.Key, n.Value, entry.Kind == JsonKind.Object && entry.Has("params") ? entry.Get("params") : entry, false);
            }
        }

        private void CheckSide(string what, Type type, JsonValue side, bool isParams)
        {
            if (side == null || side.IsNull)
            {
                Errors.Add(what + ": the schema names no payload");
                return;
            }
            if (side.Kind == JsonKind.Object && !side.Has("$ref"))
            {
                CheckMembers(what + " (inline)", type, side, isParams);
                return;
            }
            string name = side.Kind == JsonKind.Object ? NameOf(side.Get("$ref")) : NameOf(side);
            string mapped = MapName(type);
            if (mapped != name)
            {
                Errors.Add(what + ": the schema names definition '" + name + "', the core maps " + type.Name + " to '" + (mapped ?? "(nothing)") + "'");
                return;
            }
            CheckClass(type, name, isParams);
        }

        public void CheckClass(Type type, string definition, bool isParams)
        {
            if (!visited.Add(type.FullName + "=" + definition + "/" + isParams)) return;
            var def = definitions.Get(definition);
            if (def == null)
            {
                Errors.Add(type.Name + ": no definition '" + definition + "' in the schema");
                return;
            }
            CheckMembers(type.Name + " (" + definition + ")", type, def, isParams);
        }

        private void CheckMembers(string what, Type type, JsonValue def, bool isParams)
        {
            var props = def.Get("properties") ?? JsonValue.NewObject();
            var members = JsonBinder.Members(type);
            foreach (var m in members)
            {
                var prop = props.Get(m.Name);
                if (prop == null)
                {
                    Errors.Add(what + ": the core uses '" + m.Name + "', the schema has only " + string.Join(", ", props.Keys));
                    continue;
                }
                CheckType(what + "." + m.Name, m.Type, prop);
                var nested = JsonBinder.NestedPayloadType(m.Type);
                if (nested == null) continue;
                string reffed = RefIn(prop);
                string mapped = MapName(nested);
                if (reffed != null)
                {
                    if (mapped != null && mapped != reffed)
                        Errors.Add(what + "." + m.Name + ": the schema refers to '" + reffed + "', the core maps " + nested.Name + " to '" + mapped + "'");
                    else CheckClass(nested, reffed, isParams);
                }
                else if (mapped != null && definitions.Has(mapped)) CheckClass(nested, mapped, isParams);
                else Unchecked.Add(what + "." + m.Name + " -> " + nested.Name + " (" + string.Join(", ", JsonBinder.Members(nested).Select(x => x.Name)) + ")");
            }
            // A request the core sends must be able to carry every property the server requires.
            var required = def.Get("required");
            if (isParams && required != null && required.Kind == JsonKind.Array)
            {
                var names = new HashSet<string>(members.Select(x => x.Name));
                foreach (var r in required.Items)
                    if (!names.Contains(r.AsString())) Errors.Add(what + ": the server requires '" + r.AsString() + "', the core cannot send it");
            }
        }

        /// <summary>The JSON types a property schema allows ("object" for a $ref); empty = any.</summary>
        public static HashSet<string> TypesOf(JsonValue node, int depth = 0)
        {
            var r = new HashSet<string>();
            if (node == null || node.Kind != JsonKind.Object || depth > 6) return r;
            if (node.Has("$ref")) r.Add("object");
            var t = node.Get("type");
            if (t != null && t.Kind == JsonKind.String) r.Add(t.AsString());
            if (t != null && t.Kind == JsonKind.Array) foreach (var x in t.Items) r.Add(x.AsString());
            foreach (var key in new[] { "anyOf", "oneOf" })
            {
                var list = node.Get(key);
                if (list == null || list.Kind != JsonKind.Array) continue;
                foreach (var alt in list.Items)
                {
                    var inner = TypesOf(alt, depth + 1);
                    if (inner.Count == 0) return new HashSet<string>(); // one alternative is "anything"
                    r.UnionWith(inner);
                }
            }
            var en = node.Get("enum") ?? (node.Has("const") ? JsonValue.NewArray().Add(node.Get("const")) : null);
            if (r.Count == 0 && en != null && en.Kind == JsonKind.Array)
                foreach (var x in en.Items) r.Add(x.Kind == JsonKind.String ? "string" : x.Kind == JsonKind.Number ? "number" : x.Kind == JsonKind.Bool ? "boolean" : x.Kind == JsonKind.Null ? "null" : "object");
            return r;
        }

        /// <summary>The core's C# type must take what the schema allows: the same JSON type, and null only
        /// into a nullable member (a non-nullable one would fail to read it).</summary>
        private void CheckType(string what, Type type, JsonValue prop)
        {
            if (type == typeof(JsonValue)) return;
            var allowed = TypesOf(prop);
            if (allowed.Count == 0) return;
            var underlying = Nullable.GetUnderlyingType(type);
            bool nullable = !type.IsValueType || underlying != null;
            var t = underlying ?? type;
            string expected = t == typeof(string) ? "string" : t == typeof(bool) ? "boolean"
                : t == typeof(int) || t == typeof(long) ? "integer" : t == typeof(double) ? "number"
                : t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) ? "array" : "object";
            // A double takes integers too; a long does not take every number.
            bool ok = allowed.Contains(expected) || (expected == "number" && allowed.Contains("integer"));
            if (!ok) Errors.Add(what + ": the core reads/writes a JSON " + expected + " (" + t.Name + "), the schema allows " + string.Join(" | ", allowed.OrderBy(x => x)));
            if (allowed.Contains("null") && !nullable) Errors.Add(what + ": the schema allows null, the core's " + t.Name + " is not nullable");
        }

        public void CheckAll()
        {
            CheckCommands(MimoCommands.All);
            CheckNotifications(MimoNotifications.All);
        }
    }

    [TestFixture]
    public class SchemaDriftTests
    {
        /// <summary>$MIMO_PROTOCOL_SCHEMA, else &lt;repo&gt;/mimo_lsp/protocol/schema.json.</summary>
        public static string SchemaPath
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("MIMO_PROTOCOL_SCHEMA");
                return string.IsNullOrEmpty(env) ? Path.Combine(TestEnv.Repo, "mimo_lsp", "protocol", "schema.json") : env;
            }
        }

        [Test]
        public void TheCoreMatchesTheServersProtocolSchema()
        {
            var path = SchemaPath;
            if (!File.Exists(path))
            {
                if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MIMO_PROTOCOL_SCHEMA")))
                    Assert.Fail("MIMO_PROTOCOL_SCHEMA names a missing file: " + path);
                Assert.Ignore("no protocol schema at " + path + " in this checkout (set MIMO_PROTOCOL_SCHEMA): drift not checked");
            }
            var checker = new SchemaDriftChecker(JsonValue.Parse(File.ReadAllText(path)));
            checker.CheckAll();
            if (checker.Unchecked.Count > 0)
                Console.WriteLine("schema drift: free-form in the schema, not checked: " + string.Join("; ", checker.Unchecked));
            Assert.IsEmpty(checker.Errors, "protocol drift against " + path + ":\n  " + string.Join("\n  ", checker.Errors));
        }

        // ---- the checker itself can fail (a synthetic schema in the described shape) ----------------

        private static JsonValue Synthetic()
        {
            return JsonValue.Parse(@"{
              ""commands"": {""mimo.review.get"": {""params"": ""CheckpointListParams"", ""result"": ""ReviewGetResult""}},
              ""notifications"": {""mimo/task/token"": ""TokenNotification""},
              ""definitions"": {
                ""CheckpointListParams"": {""properties"": {""taskId"": {""type"": ""string""}, ""workspace"": {""anyOf"": [{""type"": ""string""}, {""type"": ""null""}]}}, ""required"": [""taskId""]},
                ""ReviewGetResult"": {""properties"": {""files"": {""type"": ""array"", ""items"": {""$ref"": ""#/definitions/FileReview""}}}},
                ""FileReview"": {""properties"": {""path"": {}, ""status"": {}, ""modifiedSince"": {}, ""hunks"": {""type"": ""array"", ""items"": {""$ref"": ""#/definitions/Hunk""}}}},
                ""Hunk"": {""properties"": {""id"": {}, ""header"": {}, ""oldStart"": {}, ""oldLines"": {}, ""newStart"": {}, ""newLines"": {}, ""old"": {}, ""new"": {}, ""state"": {}, ""currentLine"": {}}},
                ""TokenNotification"": {""properties"": {""taskId"": {}, ""seq"": {}, ""kind"": {}, ""text"": {}, ""purpose"": {}}}
              }}");
        }

        private static SchemaDriftChecker Check(JsonValue schema)
        {
            var c = new SchemaDriftChecker(schema);
            c.CheckCommands(MimoCommands.All.Where(s => s.Name == MimoCommands.ReviewGet));
            c.CheckNotifications(MimoNotifications.All.Where(n => n.Key == MimoNotifications.Token));
            return c;
        }

        [Test]
        public void CheckerPassesAMatchingSchema()
        {
            var c = Check(Synthetic());
            Assert.IsEmpty(c.Errors, string.Join("\n", c.Errors));
        }

        [Test]
        public void CheckerFindsARenamedFieldThroughNestedRefs()
        {
            var s = Synthetic();
            var hunk = s["definitions"]["Hunk"]["properties"];
            var renamed = JsonValue.NewObject();
            foreach (var m in hunk.Members) renamed.Set(m.Key == "currentLine" ? "current_line" : m.Key, m.Value);
            s["definitions"]["Hunk"].Set("properties", renamed);
            var c = Check(s);
            Assert.AreEqual(1, c.Errors.Count, string.Join("\n", c.Errors));
            StringAssert.Contains("'currentLine'", c.Errors[0]);
        }

        [Test]
        public void CheckerFindsATypeTheCoreCannotRead()
        {
            var s = Synthetic();
            s["definitions"]["Hunk"]["properties"].Set("oldStart", JsonValue.Parse("{\"type\": \"string\"}"));
            s["definitions"]["Hunk"]["properties"].Set("newStart", JsonValue.Parse("{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}]}"));
            s["definitions"]["Hunk"]["properties"].Set("currentLine", JsonValue.Parse("{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}]}"));
            var c = Check(s);
            Assert.AreEqual(2, c.Errors.Count, string.Join("\n", c.Errors));
            Assert.IsTrue(c.Errors.Any(e => e.Contains(").oldStart") && e.Contains("the schema allows string")), string.Join("\n", c.Errors));
            Assert.IsTrue(c.Errors.Any(e => e.Contains(").newStart") && e.Contains("not nullable")), string.Join("\n", c.Errors));
        }

        [Test]
        public void CheckerFindsMissingCommandsNotificationsAndRequiredParams()
        {
            var s = Synthetic();
            s["definitions"]["CheckpointListParams"].Set("required", JsonValue.ArrayOf(new[] { "taskId", "cursor" }));
            s["notifications"].Set("mimo/task/token", "TokenEvent");
            var c = Check(s);
            Assert.IsTrue(c.Errors.Any(e => e.Contains("requires 'cursor'")), string.Join("\n", c.Errors));
            Assert.IsTrue(c.Errors.Any(e => e.Contains("names definition 'TokenEvent'")), string.Join("\n", c.Errors));
            var all = new SchemaDriftChecker(Synthetic());
            all.CheckAll();
            Assert.IsTrue(all.Errors.Any(e => e == "command mimo.task.start: not in the schema"), string.Join("\n", all.Errors));
            Assert.IsTrue(all.Errors.Any(e => e == "notification mimo/task/plan: not in the schema"), string.Join("\n", all.Errors));
        }
    }
}
