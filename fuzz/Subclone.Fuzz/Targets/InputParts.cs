namespace Subclone.Fuzz;

/// <summary>Splits one fuzz input into the files of a reader that takes two (vocab.json and merges.txt, say).</summary>
internal static class InputParts
{
    /// <summary>The bytes before the first NUL and those after it (empty when there is no NUL). Text formats never
    /// contain NUL, so every file pair has an input, and a mutation may move bytes from one file to the other.</summary>
    public static (byte[] First, byte[] Second, bool HasSecond) SplitAtNul(byte[] input)
    {
        int nul = Array.IndexOf(input, (byte)0);
        return nul < 0 ? (input, [], false) : (input[..nul], input[(nul + 1)..], true);
    }
}
