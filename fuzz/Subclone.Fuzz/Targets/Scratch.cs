namespace Subclone.Fuzz;

/// <summary>
/// A fresh temporary directory for one run's files, deleted afterwards. The readers take paths (a model directory,
/// a checkpoint file), so each input is written to disk; a directory per run lets xunit run targets in parallel.
/// </summary>
internal sealed class Scratch : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("subclone-fuzz-").FullName;

    public string this[string name] => Path.Combine(Directory, name);

    /// <summary>Writes <paramref name="bytes"/> as <paramref name="name"/> and returns its path.</summary>
    public string Write(string name, ReadOnlySpan<byte> bytes)
    {
        string path = this[name];
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
