namespace Subclone.Fuzz;

/// <summary>Every fuzz target, by the name fuzz/run.sh and the corpus folders use.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        SafeTensorsTarget.Target,
        ConfigTarget.Target,
        Llama2cTarget.Target,
        WordPieceTarget.Target,
        Gpt2BpeTarget.Target,
        SentencePieceTarget.Target,
        Llama2cTokenizerTarget.Target,
        TokenizerJsonTarget.Target,
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
