using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Mimo.VisualStudio")]
[assembly: AssemblyDescription("Visual Studio client of mimo-lsp")]
[assembly: AssemblyProduct("MiMo")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("0.1.0.0")]
[assembly: AssemblyFileVersion("0.1.0.0")]
