
namespace Subclone.Cli.Commands;

/// <summary>The target-shape and selection options clone and compare share.</summary>
public sealed class CloneOptionsBinder
{
    public readonly Option<int?> Hidden = new("--hidden") { Description = "Child residual width d" };
    public readonly Option<int?> Layers = new("--layers") { Description = "Child depth L'" };
    public readonly Option<int?> Heads = new("--heads") { Description = "Child attention heads H' (head_dim is kept)" };
    public readonly Option<int?> KvHeads = new("--kv-heads") { Description = "Child key/value heads (GQA)" };
    public readonly Option<int?> Ffn = new("--ffn") { Description = "Child FFN width F'" };
    public readonly Option<int?> Experts = new("--experts") { Description = "Experts kept per sparse block (MoE parents); 1 writes the dense family unless --keep-moe" };
    public readonly Option<int?> TopK = new("--top-k") { Description = "Experts each token is routed to in the child (default: the parent's, at most --experts)" };
    public readonly Option<int?> ExpertFfn = new("--expert-ffn") { Description = "FFN width kept in every kept expert" };
    public readonly Option<bool> KeepMoe = new("--keep-moe") { Description = "With --experts 1: keep the child a mixture of experts instead of writing the dense family" };
    public readonly Option<double?> Ratio = new("--ratio") { Description = "Every width × r (depth unchanged unless --layers)" };
    public readonly Option<string?> Params = new("--params") { Description = "Largest uniform shape within this many parameters, e.g. 40M" };
    public readonly Option<string> Select = new("--select") { Description = "importance (default), first, random, uniform", DefaultValueFactory = _ => "importance" };
    public readonly Option<string> Depth = new("--depth") { Description = "middle (default) or influence", DefaultValueFactory = _ => "middle" };
    public readonly Option<string?> KeepLayers = new("--keep-layers") { Description = "Explicit parent blocks to keep, e.g. 0,1,2,9,10,11" };
    public readonly Option<bool> NoScale = new("--no-scale") { Description = "Do not multiply shrunk-input weights by √(n/n')" };
    public readonly Option<long> Seed = new("--seed") { Description = "Seed for calibration sampling and random selection", DefaultValueFactory = _ => 0 };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Hidden, Layers, Heads, KvHeads, Ffn, Experts, TopK, ExpertFfn, KeepMoe, Ratio, Params, Select, Depth, KeepLayers, NoScale, Seed })
            command.Options.Add(o);
    }

    public CloneTarget Target(ParseResult r, ModelConfig parent)
    {
        int? layers = r.GetValue(KeepLayers) is string keep ? ParseLayers(keep).Length : r.GetValue(Layers);
        // A one-expert child computes a dense MLP; it is written as the dense family unless asked to stay MoE.
        bool dense = r.GetValue(Experts) == 1 && !r.GetValue(KeepMoe);
        var experts = new CloneTarget(Experts: r.GetValue(Experts), TopK: r.GetValue(TopK), ExpertFfn: r.GetValue(ExpertFfn), Dense: dense);
        if (r.GetValue(Ratio) is double ratio)
        {
            var scaled = CloneTarget.FromRatio(parent, ratio, layers);
            return scaled with { Experts = experts.Experts, TopK = experts.TopK, ExpertFfn = experts.ExpertFfn ?? scaled.ExpertFfn, Dense = dense };
        }
        if (r.GetValue(Params) is string budget) return CloneTarget.FromParameterBudget(parent, CloneTarget.ParseCount(budget), layers);
        return experts with { Hidden = r.GetValue(Hidden), Layers = layers, Heads = r.GetValue(Heads), KvHeads = r.GetValue(KvHeads), Ffn = r.GetValue(Ffn) };
    }

    public CloneOptions Options(ParseResult r) => new()
    {
        Selection = r.GetValue(Select) switch
        {
            "importance" => Selection.Importance,
            "first" => Selection.First,
            "random" => Selection.Random,
            "uniform" => Selection.Uniform,
            var s => throw new UserInputException($"--select {s}: expected importance, first, random or uniform"),
        },
        Depth = r.GetValue(Depth) switch
        {
            "middle" => DepthStrategy.Middle,
            "influence" => DepthStrategy.Influence,
            "first" => DepthStrategy.First,
            var s => throw new UserInputException($"--depth {s}: expected middle, influence or first"),
        },
        KeepLayers = r.GetValue(KeepLayers) is string keep ? ParseLayers(keep) : null,
        Scale = !r.GetValue(NoScale),
        Seed = r.GetValue(Seed),
    };

    static int[] ParseLayers(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out int v) ? v : throw new UserInputException($"--keep-layers: '{s}' is not a layer index"))
            .ToArray();
}
