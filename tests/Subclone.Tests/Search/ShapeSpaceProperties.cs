using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Subclone.Models;
using Subclone.Search;
using Subclone.Tests.Support;

namespace Subclone.Tests.Search;

/// <summary>A parent config and a budget as a fraction of what it has; prints as JSON to be kept as a fact.</summary>
public sealed record BudgetCase(ModelConfig Parent, BudgetKind Kind, double Fraction)
{
    public override string ToString() => $"parent {Parent.ToJson(TorchSharp.torch.ScalarType.Float32).ToJsonString()}\n{Kind} × {Fraction}";
}

/// <summary>Generated parents (GPT-2 of any head count, GQA Llama and Qwen3 with a free head_dim, BERT; configs only, no
/// model is built) and budgets from a tenth of the parent to just below it, in parameters or FLOPs.</summary>
public static class BudgetArbitrary
{
    public static Arbitrary<BudgetCase> Cases() => Arb.From(
        from family in Gen.Elements("gpt2", "llama", "qwen3", "bert")
        from kv in Gen.Choose(1, 8)
        from perKv in Gen.Elements(1, 2, 4)
        from heads in Gen.Choose(1, 16)
        from headDim in Gen.Elements(8, 16, 32, 64)
        from hidden in Gen.Choose(16, 768)
        from layers in Gen.Choose(1, 32)
        from ffn in Gen.Choose(16, 3072)
        from vocab in Gen.Choose(64, 50000)
        from kind in Gen.Elements(BudgetKind.Parameters, BudgetKind.Flops)
        from percent in Gen.Choose(10, 99)
        select new BudgetCase(Config(family, heads, kv, perKv, headDim, hidden, layers, ffn, vocab), kind, percent / 100.0));

    static ModelConfig Config(string family, int heads, int kv, int perKv, int headDim, int hidden, int layers, int ffn, int vocab) =>
        ModelConfig.Parse(family switch
        {
            "gpt2" => new JsonObject
            {
                ["model_type"] = "gpt2", ["n_embd"] = heads * headDim, ["n_head"] = heads, ["n_layer"] = layers, ["n_inner"] = ffn,
                ["n_positions"] = 256, ["vocab_size"] = vocab,
            },
            "bert" => new JsonObject
            {
                ["model_type"] = "bert", ["hidden_size"] = heads * headDim, ["num_attention_heads"] = heads, ["num_hidden_layers"] = layers,
                ["intermediate_size"] = ffn, ["vocab_size"] = vocab, ["max_position_embeddings"] = 256, ["type_vocab_size"] = 2,
            },
            _ => new JsonObject
            {
                ["model_type"] = family, ["hidden_size"] = hidden, ["num_attention_heads"] = kv * perKv, ["num_key_value_heads"] = kv,
                ["head_dim"] = headDim, ["num_hidden_layers"] = layers, ["intermediate_size"] = ffn, ["vocab_size"] = vocab,
                ["max_position_embeddings"] = 256,
            },
        }, $"generated {family} config");
}

/// <summary>
/// The enumeration's promise: every candidate is a shape clone accepts for the parent's family (widths within the
/// parent's, whole KV groups with the parent's queries per group, hidden = heads × head_dim where the family ties
/// them), its counts are the child config's, and it lies within ±5% of the budget; the grid is bounded; a budget no
/// shape meets is one clear refusal naming the option.
/// </summary>
public class ShapeSpaceProperties
{
    [Property(MaxTest = 200, Arbitrary = [typeof(BudgetArbitrary)])]
    public void Every_candidate_is_legal_for_its_family_and_within_the_budget(BudgetCase c)
    {
        var parent = c.Parent;
        var budget = new SearchBudget(c.Kind, Math.Floor(c.Fraction * (c.Kind == BudgetKind.Parameters
            ? parent.Family.ParameterCount(parent) : InferenceFlops.PerToken(parent, 64))), 64);
        SearchSpace space;
        try { space = ShapeSpace.Enumerate(parent, budget, limit: 24); }
        catch (UserInputException e)
        {
            Assert.Contains(budget.Option, e.Message);
            Assert.True(e.Message.Contains("no uniform child") || e.Message.Contains("not below"), e.Message);
            return;
        }
        Assert.InRange(space.Candidates.Count, 1, 24);
        Assert.True(space.Counted <= ShapeSpace.MaxDepths * ShapeSpace.Fractions.Length * ShapeSpace.Fractions.Length);
        foreach (var candidate in space.Candidates)
        {
            var child = candidate.Target.Apply(parent);  // throws for a shape the family cannot have
            Assert.Equal(candidate.Config, child);
            Assert.True(child.Hidden <= parent.Hidden && child.Ffn <= parent.Ffn && child.Layers <= parent.Layers && child.Heads <= parent.Heads);
            Assert.Equal(0, child.Heads % child.KvHeads);
            Assert.Equal(parent.Heads / parent.KvHeads, child.Heads / child.KvHeads);
            if (!parent.Family.FreeHeadDim) Assert.Equal(child.Heads * child.HeadDim, child.Hidden);
            Assert.Equal(parent.Family.ParameterCount(child), candidate.Parameters);
            Assert.Equal(InferenceFlops.PerToken(child, 64), candidate.FlopsPerToken);
            double measured = c.Kind == BudgetKind.Parameters ? candidate.Parameters : candidate.FlopsPerToken;
            Assert.InRange(measured, budget.Low, budget.High);
        }
        Assert.Equal(space.Candidates.Count, space.Candidates.Select(x => x.Shape).Distinct().Count());
    }

    [Theory]
    [InlineData("llama-tiny-gqa", 0.5)]
    [InlineData("gpt2-tiny", 0.4)]
    [InlineData("hf-tiny-random-gpt2", 0.7)]
    public void Fixture_parents_have_candidates_and_the_params_shape_is_marked_when_it_fits(string fixture, double fraction)
    {
        var parent = ModelConfig.Load(Path.Combine(SharedData.Fixture(fixture), "config.json"));
        long count = parent.Family.ParameterCount(parent);
        var budget = new SearchBudget(BudgetKind.Parameters, (long)(count * fraction), 32);
        var space = ShapeSpace.Enumerate(parent, budget, limit: 50);
        Assert.NotEmpty(space.Candidates);
        Assert.All(space.Candidates, x => Assert.InRange(x.Parameters, budget.Low, budget.High));
        // A model built to the candidate's config has exactly the parameters the table counted.
        using var built = TransformerModel.Create(space.Candidates[0].Config, 1);
        Assert.Equal(built.ParameterCount(), space.Candidates[0].Parameters);
        var paramsShape = Subclone.Cloning.CloneTarget.FromParameterBudget(parent, (long)budget.Value).Apply(parent);
        if (budget.Contains(paramsShape))
            Assert.Contains(space.Candidates, x => x.IsParamsShape && x.Config == paramsShape);
    }

    [Fact]
    public void Flops_per_token_are_two_per_block_and_head_weight_plus_attention_over_the_context()
    {
        var gpt2 = ModelConfig.Load(Path.Combine(SharedData.Fixture("hf-tiny-random-gpt2"), "config.json"));  // 5 × 32, ffn 128, vocab 1000
        double block = 32 * 96 + 32 * 32 + 32 * 128 + 128 * 32;
        Assert.Equal(2 * (5 * block + 1000 * 32) + 4.0 * 5 * 4 * 8 * 100, InferenceFlops.PerToken(gpt2, 100));
        // GQA: the key and value projections are kv_heads × head_dim wide.
        var llama = ModelConfig.Load(Path.Combine(SharedData.Fixture("llama-tiny-gqa"), "config.json"));  // 3 × 64, 4/2 heads of 16, ffn 176, vocab 320
        double llamaBlock = 64 * 64 + 2 * (32 * 64) + 64 * 64 + 3 * (176 * 64);
        Assert.Equal(2 * (3 * llamaBlock + 320 * 64) + 4.0 * 3 * 4 * 16 * 10, InferenceFlops.PerToken(llama, 10));
    }

    [Theory]
    [InlineData(BudgetKind.Parameters, 1.0, "not below")]
    [InlineData(BudgetKind.Parameters, 0.0001, "no uniform child")]
    [InlineData(BudgetKind.Flops, 1.2, "not below")]
    public void Impossible_budgets_are_refused_naming_the_option(BudgetKind kind, double fraction, string why)
    {
        var parent = ModelConfig.Load(Path.Combine(SharedData.Fixture("gpt2-tiny"), "config.json"));
        double full = kind == BudgetKind.Parameters ? parent.Family.ParameterCount(parent) : InferenceFlops.PerToken(parent, 16);
        var budget = new SearchBudget(kind, Math.Floor(full * fraction), 16);
        var e = Assert.Throws<UserInputException>(() => ShapeSpace.Enumerate(parent, budget, 24));
        Assert.Contains(budget.Option, e.Message);
        Assert.Contains(why, e.Message);
    }
}
