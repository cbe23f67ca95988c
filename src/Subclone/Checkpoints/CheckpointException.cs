namespace Subclone.Checkpoints;

/// <summary>A model file that cannot be used: the message is one line naming the file and the problem.</summary>
public sealed class CheckpointException(string path, string problem)
    : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
