namespace Subclone.Checkpoints;

/// <summary>A model file that cannot be used: the message is one line naming the file and the problem (control
/// characters in quoted names are escaped).</summary>
public sealed class CheckpointException(string path, string problem)
    : Exception(OneLine.Escape($"{path}: {problem}"))
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
