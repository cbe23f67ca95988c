namespace Subclone;

/// <summary>
/// Checks where a command is about to write, before any work: an output that is, contains or lies inside one of the
/// inputs would destroy it when the finished output is renamed into place (a child written over its parent), and an
/// existing file where a directory is expected (or the reverse) would fail only at the very end. Each refusal is one
/// line naming the path.
/// </summary>
public static class OutputPath
{
    /// <summary>
    /// Refuses <paramref name="path"/> as an output directory: empty, an existing file, one of <paramref name="inputs"/>
    /// or inside or around one, an existing directory unless <paramref name="replace"/>, or a place that cannot be written.
    /// Inputs that are not local paths (Hub ids, "minilm") are skipped. Returns the full path.
    /// </summary>
    public static string Directory(string path, IEnumerable<string?> inputs, bool replace, string option = "--out",
        string replaceHint = "pass --force to replace it")
    {
        string full = Resolve(path, option);
        if (System.IO.File.Exists(full)) throw new UserInputException($"{option} {path} is a file; give a directory to write the model to");
        CheckInputs(full, path, inputs, option);
        if (System.IO.Directory.Exists(full) && !replace) throw new UserInputException($"{option} {path} already exists ({replaceHint})");
        RequireWritable(full, path, option);
        return full;
    }

    /// <summary>
    /// Refuses <paramref name="path"/> as an output file: empty, an existing directory, a file inside a path that is a
    /// file, one of <paramref name="inputs"/> (or inside one), or an existing file unless <paramref name="replace"/>.
    /// Returns the full path.
    /// </summary>
    public static string File(string path, IEnumerable<string?> inputs, bool replace, string option = "--out")
    {
        string full = Resolve(path, option);
        if (System.IO.Directory.Exists(full)) throw new UserInputException($"{option} {path} is a directory; give a file name");
        CheckInputs(full, path, inputs, option);
        if (System.IO.File.Exists(full) && !replace) throw new UserInputException($"{option} {path} already exists (pass --force to replace it)");
        RequireWritable(full, path, option);
        return full;
    }

    static string Resolve(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UserInputException($"{option}: an empty path");
        try { return Path.GetFullPath(path.TrimEnd('/', '\\') is { Length: > 0 } trimmed ? trimmed : path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UserInputException($"{option} '{path}' is not a usable path");
        }
    }

    static void CheckInputs(string full, string given, IEnumerable<string?> inputs, string option)
    {
        string outReal = RealPath(full);
        foreach (string? input in inputs)
        {
            if (string.IsNullOrWhiteSpace(input) || !Path.Exists(input)) continue;
            string inReal = RealPath(Path.GetFullPath(input));
            if (SamePath(outReal, inReal)) throw new UserInputException($"{option} {given} is the input {input}; write to another path");
            if (Inside(outReal, inReal)) throw new UserInputException($"{option} {given} is inside the input {input}; write to another path");
            if (Inside(inReal, outReal)) throw new UserInputException($"{option} {given} contains the input {input}; write to another path");
        }
    }

    /// <summary>A path with every existing symlink on it resolved, so two spellings of one place compare equal.</summary>
    static string RealPath(string full)
    {
        // Resolve the longest existing prefix; the rest does not exist yet and cannot be a link.
        string existing = full;
        string rest = "";
        while (!Path.Exists(existing) && Path.GetDirectoryName(existing) is string up)
        {
            rest = rest.Length == 0 ? Path.GetFileName(existing) : Path.Combine(Path.GetFileName(existing), rest);
            existing = up;
        }
        string resolved = existing;
        try
        {
            var parts = existing.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            resolved = Path.GetPathRoot(existing) ?? "";
            foreach (string part in parts)
            {
                resolved = Path.Combine(resolved, part);
                var info = new FileInfo(resolved);
                if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target) resolved = target.FullName;
            }
        }
        catch (IOException) { resolved = existing; }
        return (rest.Length == 0 ? resolved : Path.Combine(resolved, rest)).TrimEnd(Path.DirectorySeparatorChar);
    }

    static bool SamePath(string a, string b) => string.Equals(a, b, StringComparison.Ordinal);

    static bool Inside(string inner, string outer) =>
        inner.StartsWith(outer.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The nearest existing ancestor must be a writable directory: a probe file is created and deleted there, so
    /// /proc/x or a read-only mount is refused now, naming the output, not later naming a temporary file.
    /// </summary>
    static void RequireWritable(string full, string given, string option)
    {
        string? dir = Path.GetDirectoryName(full);
        while (dir is not null && !System.IO.Directory.Exists(dir))
        {
            if (System.IO.File.Exists(dir)) throw new UserInputException($"{option} {given}: {dir} is a file, not a directory");
            dir = Path.GetDirectoryName(dir);
        }
        if (dir is null) return;
        string probe = Path.Combine(dir, $".subclone-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (System.IO.File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{option} {given}: cannot write in {dir} ({(e is UnauthorizedAccessException ? "permission denied" : "not writable")})");
        }
        finally
        {
            if (System.IO.File.Exists(probe)) System.IO.File.Delete(probe);
        }
    }
}
