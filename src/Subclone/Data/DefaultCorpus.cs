using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Subclone.Data;

/// <summary>
/// English text every machine with the .NET SDK has: the XML API documentation of the framework's reference
/// assemblies (packs/Microsoft.NETCore.App.Ref/*/ref/net*/*.xml, about 30 MB). Its summary and remarks
/// sentences are the default calibration and training corpus, so commands work with no data argument.
/// </summary>
public static partial class DefaultCorpus
{
    /// <summary>How the corpus is named in reports and token caches.</summary>
    public const string Name = "dotnet-xml-docs";

    /// <summary>The XML files, newest reference pack first, in a fixed order.</summary>
    public static IReadOnlyList<string> Files()
    {
        foreach (string root in DotnetRoots())
        {
            string packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
            if (!Directory.Exists(packs)) continue;
            foreach (string version in Directory.GetDirectories(packs).OrderByDescending(v => Version.TryParse(Path.GetFileName(v).Split('-')[0], out var parsed) ? parsed : new Version()))
            {
                string refDir = Path.Combine(version, "ref");
                if (!Directory.Exists(refDir)) continue;
                foreach (string tfm in Directory.GetDirectories(refDir).OrderDescending(StringComparer.Ordinal))
                {
                    var xml = Directory.GetFiles(tfm, "*.xml").Order(StringComparer.Ordinal).ToList();
                    if (xml.Count > 0) return xml;
                }
            }
        }
        throw new UserInputException("the default corpus (the .NET SDK's XML API docs under packs/Microsoft.NETCore.App.Ref) was not found; pass --data or --calib");
    }

    static IEnumerable<string> DotnetRoots()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } env) yield return env;
        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        yield return Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        yield return "/usr/share/dotnet";
        yield return "/usr/lib/dotnet";
    }

    /// <summary>Documents: one per documented member, its summary and remarks as plain sentences.</summary>
    public static IEnumerable<string> Documents()
    {
        foreach (string file in Files())
        {
            XDocument doc;
            try { doc = XDocument.Load(file); }
            catch (System.Xml.XmlException) { continue; }
            foreach (var member in doc.Descendants("member"))
            {
                string text = string.Join(" ", member.Elements().Where(e => e.Name.LocalName is "summary" or "remarks").Select(PlainText));
                text = Whitespace().Replace(text, " ").Trim();
                if (text.Length >= 40) yield return text;
            }
        }
    }

    /// <summary>Element text with cross-references (&lt;see cref="T:System.String"/&gt;) rendered as their short names.</summary>
    static string PlainText(XElement element) => string.Concat(element.Nodes().Select(node => node switch
    {
        XText text => text.Value,
        XElement { Name.LocalName: "see" or "seealso" } see =>
            see.Attribute("langword")?.Value
            ?? (see.Attribute("cref")?.Value is string cref ? ShortName(cref) : see.Value),
        XElement { Name.LocalName: "paramref" or "typeparamref" } p => p.Attribute("name")?.Value ?? "",
        XElement child => PlainText(child),
        _ => "",
    }));

    static string ShortName(string cref)
    {
        string name = cref.Contains(':') ? cref[(cref.IndexOf(':') + 1)..] : cref;
        int paren = name.IndexOf('(');
        if (paren >= 0) name = name[..paren];
        return name[(name.LastIndexOf('.') + 1)..].Split('`')[0];
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
