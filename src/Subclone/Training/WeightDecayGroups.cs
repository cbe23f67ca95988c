using Subclone.Models;
using TorchSharp;
using TorchSharp.Modules;

namespace Subclone.Training;

/// <summary>
/// Which parameters AdamW decays: matrices (≥ 2-D weights) only. Biases and norm gains are 1-D and never decayed;
/// embedding tables are matrices but are left alone unless asked, since pulling rarely seen tokens' rows towards
/// zero only hurts them. A tied LM head is the token embedding and follows it.
/// </summary>
public sealed record WeightDecayGroups(IReadOnlyList<(string Name, Parameter Parameter)> Decay, IReadOnlyList<(string Name, Parameter Parameter)> NoDecay)
{
    /// <summary>The model's parameters split into decayed and not decayed; embeddings go with the decayed only when <paramref name="decayEmbeddings"/>.</summary>
    public static WeightDecayGroups Of(TransformerModel model, bool decayEmbeddings)
    {
        var embeddings = model.named_modules().Where(m => m.module is EmbeddingTable)
            .Select(m => m.name.Length == 0 ? "weight" : m.name + ".weight").ToHashSet();
        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, p) in model.named_parameters())
        {
            bool matrix = p.dim() >= 2, embedding = embeddings.Contains(name);
            if (matrix && (decayEmbeddings || !embedding)) decay.Add((name, p));
            else noDecay.Add((name, p));
        }
        return new WeightDecayGroups(decay, noDecay);
    }

    /// <summary>Every parameter, decayed ones first (the order gradient clipping sees them in).</summary>
    public List<Parameter> All => [.. Decay.Select(p => p.Parameter), .. NoDecay.Select(p => p.Parameter)];

    /// <summary>AdamW over these groups: <paramref name="options"/>' weight decay on <see cref="Decay"/>, none on <see cref="NoDecay"/>.</summary>
    public AdamW CreateAdamW(TrainingOptions options)
    {
        var groups = new List<AdamW.ParamGroup>();
        if (Decay.Count > 0)
            groups.Add(new AdamW.ParamGroup(Decay.Select(p => p.Parameter), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay));
        if (NoDecay.Count > 0)
            groups.Add(new AdamW.ParamGroup(NoDecay.Select(p => p.Parameter), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, 0));
        return torch.optim.AdamW(groups, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon);
    }
}
