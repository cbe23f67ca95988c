namespace Subclone;

/// <summary>Writes a file under a temporary sibling name and renames it into place, so readers never see a partial file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content) => Write(path, temp => File.WriteAllText(temp, content));

    public static void Write(string path, Action<string> writeTo)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            writeTo(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
