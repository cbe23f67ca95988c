using Subclone.Checkpoints;

namespace Subclone.Fuzz;

/// <summary>Tells an expected refusal of bad input from a finding.</summary>
internal static class Refusal
{
    /// <summary>The message of this thread's latest refusal, for the replay command to print.</summary>
    [ThreadStatic]
    public static string? LastMessage;

    /// <summary>Runs <paramref name="read"/>: true if it completes, false if it refuses the input the way users are told
    /// about bad files. Any other exception escapes, and so does a refusal that is not one line naming the input.</summary>
    public static bool Accepts(Scratch scratch, Action read)
    {
        try
        {
            read();
            return true;
        }
        // The exceptions the CLI's Guard prints as one line with exit code 2 (ArgumentException, which Guard also
        // catches, is meant for bad arguments; from a reader it means an unchecked value reached a library call).
        catch (Exception e) when (e is CheckpointException or UserInputException or InvalidDataException)
        {
            if (e.Message.Any(char.IsControl) || !e.Message.Contains(scratch.Directory, StringComparison.Ordinal))
                throw new FuzzFinding($"refusal is not one line naming the input file: {e.Message}", e);
            LastMessage = e.Message;
            return false;
        }
    }
}
