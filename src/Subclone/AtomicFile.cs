namespace Subclone;

/// <summary>Writes a file under a temporary sibling name and renames it into place, so readers never see a partial file.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string content) => Write(path, temp => File.WriteAllText(temp, content));

    /// <summary>
    /// Calls <paramref name="writeTo"/> with a temporary path beside <paramref name="path"/>, then renames that file into place;
    /// if it throws, the temporary file is deleted and <paramref name="path"/> is untouched.
    /// </summary>
    public static void Write(string path, Action<string> writeTo)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UserInputException($"{path} is a directory; a file is written there");
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            writeTo(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch (UnauthorizedAccessException)
        {
            // Named by the file asked for, not by its temporary sibling.
            throw new UserInputException($"{path}: cannot be written (permission denied)");
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
