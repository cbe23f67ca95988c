namespace Subclone;

/// <summary>A model file (checkpoint or config.json) that cannot be used: the message is one line naming the file and the problem (control
/// characters in quoted names are escaped).</summary>
public sealed class CheckpointException(string path, string problem)
    : Exception(OneLine.Escape($"{path}: {problem}"))
{
    /// <summary>The file or directory at fault.</summary>
    public string Path { get; } = path;
    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; } = problem;
}
