// The VSIX glue cannot be compiled here (no Visual Studio SDK). What can be checked without it: its
// project, manifest and command table agree with each other and with the code (GUIDs, command ids, the
// files compiled, the MEF asset the language client needs). scripts/test.sh also parses every glue .cs file.
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Collections.Generic;
using System.Xml;
using NUnit.Framework;

namespace Mimo.Core.Tests
{
    [TestFixture]
    public class GlueFilesTests
    {
        private static string Glue { get { return Path.Combine(TestEnv.Repo, "editors", "visualstudio", "src", "Mimo.VisualStudio"); } }

        private static string Read(string name) { return File.ReadAllText(Path.Combine(Glue, name)); }

        private static XmlDocument Xml(string name)
        {
            var d = new XmlDocument();
            d.LoadXml(Read(name));
            return d;
        }

        /// <summary>Every element with this local name (any namespace), in document order.</summary>
        private static List<XmlElement> All(XmlNode root, string localName)
        {
            return root.SelectNodes("//*[local-name()='" + localName + "']").Cast<XmlElement>().ToList();
        }

        [Test]
        public void CommandTableMatchesThePackage()
        {
            var package = Read("MimoPackage.cs");
            var vsct = Xml("MimoPackage.vsct");
            var symbols = All(vsct, "GuidSymbol").ToDictionary(g => g.GetAttribute("name"));
            string pkgGuid = Regex.Match(package, "PackageGuidString = \"([0-9a-f-]+)\"").Groups[1].Value;
            string setGuid = Regex.Match(package, "CommandSet = new Guid\\(\"([0-9a-f-]+)\"\\)").Groups[1].Value;
            Assert.AreEqual("{" + pkgGuid + "}", symbols["guidMimoPackage"].GetAttribute("value"));
            Assert.AreEqual("{" + setGuid + "}", symbols["guidMimoCommandSet"].GetAttribute("value"));
            var ids = All(symbols["guidMimoCommandSet"], "IDSymbol").Where(e => e.ParentNode == symbols["guidMimoCommandSet"]).ToDictionary(e => e.GetAttribute("name"), e => e.GetAttribute("value").ToLowerInvariant());
            var consts = Regex.Matches(package, @"public const int (\w+)Id = (0x[0-9A-Fa-f]+);").Cast<Match>()
                .ToDictionary(m => "cmd" + m.Groups[1].Value, m => m.Groups[2].Value.ToLowerInvariant());
            Assert.AreEqual(7, consts.Count, string.Join(", ", consts.Keys));
            foreach (var c in consts)
            {
                Assert.IsTrue(ids.ContainsKey(c.Key), "the command table has no " + c.Key);
                Assert.AreEqual(c.Value, ids[c.Key], c.Key);
            }
            var buttons = All(vsct, "Button").Select(b => b.GetAttribute("id")).ToList();
            CollectionAssert.AreEquivalent(consts.Keys, buttons, "one menu button per command");
            foreach (var label in new[] { "Start Task...", "Cancel Task", "Resume Task...", "Review Changes", "Restore Checkpoint...", "Search Codebase..." })
                CollectionAssert.Contains(All(vsct, "ButtonText").Select(t => t.InnerText).ToList(), label);
        }

        [Test]
        public void ProjectCompilesEveryGlueFileAndTheCore()
        {
            var proj = Xml("Mimo.VisualStudio.csproj");
            var compiled = All(proj, "Compile").Select(c => c.GetAttribute("Include").Replace('\\', '/')).ToList();
            var files = Directory.GetFiles(Glue, "*.cs", SearchOption.AllDirectories).Select(f => f.Substring(Glue.Length + 1).Replace('\\', '/')).ToList();
            CollectionAssert.AreEquivalent(files, compiled.Where(c => !c.StartsWith("..")).ToList());
            CollectionAssert.Contains(compiled, "../Mimo.Core/*.cs");
            var vsct = All(proj, "VSCTCompile").Single();
            Assert.AreEqual("MimoPackage.vsct", vsct.GetAttribute("Include"));
            Assert.AreEqual("Menus.ctmenu", All(vsct, "ResourceName").Single().InnerText);
            StringAssert.Contains("[ProvideMenuResource(\"Menus.ctmenu\", 1)]", Read("MimoPackage.cs"));
            var packages = All(proj, "PackageReference").Select(p => p.GetAttribute("Include")).ToList();
            CollectionAssert.IsSubsetOf(new[] { "Microsoft.VisualStudio.SDK", "Microsoft.VisualStudio.LanguageServer.Client", "Microsoft.VSSDK.BuildTools" }, packages);
        }

        [Test]
        public void ManifestDeclaresThePackageAndTheMefLanguageClient()
        {
            var manifest = Xml("source.extension.vsixmanifest");
            var assets = All(manifest, "Asset").Select(a => a.GetAttribute("Type")).ToList();
            CollectionAssert.Contains(assets, "Microsoft.VisualStudio.VsPackage");
            CollectionAssert.Contains(assets, "Microsoft.VisualStudio.MefComponent"); // the [Export(typeof(ILanguageClient))] is found through MEF
            StringAssert.Contains("[Export(typeof(ILanguageClient))]", Read("MimoLanguageClient.cs"));
            var target = All(manifest, "InstallationTarget").First();
            StringAssert.StartsWith("[17.", target.GetAttribute("Version"));
        }
    }
}
