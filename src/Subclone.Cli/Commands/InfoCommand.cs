using Spectre.Console;

namespace Subclone.Cli.Commands;

/// <summary>subclone info MODEL [--json]: the shape of a model.</summary>
public static class InfoCommand
{
    public static Command Create(CliIo io)
    {
        var model = new Argument<string>("MODEL") { Description = "A Hugging Face model directory, a Hub id (org/name[@revision], downloaded to the Hugging Face cache), a llama2.c .bin file, 'minilm' (the embedded all-MiniLM-L6-v2), or a bare config.json" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var configOnly = new Option<bool>("--config-only") { Description = "Read only config.json (for a Hub id, download only it): the shape and exact parameter count without weights" };
        var command = new Command("info", "Show a model's architecture, widths, heads, layers, FFN, vocabulary, parameter count and dtype") { model, json, configOnly };
        command.SetAction(r => io.Guard(() =>
        {
            string spec = r.GetValue(model)!;
            ModelConfig c;
            long parameters;
            string? dtype;
            bool bareConfig = File.Exists(spec) && !spec.EndsWith(".bin", StringComparison.OrdinalIgnoreCase);
            if (bareConfig || r.GetValue(configOnly))
            {
                // Counted from the family's parameter table: a 70B parent is sized before anything large is fetched.
                (c, dtype) = ConfigArgument.Load(io, spec, r.GetValue(json));
                parameters = CloneTarget.ParameterCount(c);
            }
            else if (Directory.Exists(spec))
            {
                // Headers only: the shape of a model larger than memory is read without loading it.
                using var reader = CheckpointReader.Open(spec);
                (c, parameters, dtype) = (reader.Config, reader.Parameters.Sum(p => p.ElementCount), SafeTensorsDtype.TorchName(reader.StoredDtype));
            }
            else
            {
                var loaded = io.LoadModel(r, spec, r.GetValue(json));
                (c, parameters, dtype) = (loaded.Model.Config, loaded.Model.ParameterCount(), SafeTensorsDtype.TorchName(loaded.StoredDtype));
            }
            var info = new JsonObject
            {
                ["model"] = r.GetValue(model),
                ["architecture"] = c.ArchitectureName,
                ["model_type"] = c.ModelType,
                ["hidden"] = c.Hidden,
                ["layers"] = c.Layers,
                ["heads"] = c.Heads,
                ["kv_heads"] = c.KvHeads,
                ["head_dim"] = c.HeadDim,
                ["ffn"] = c.Ffn,
                ["vocab"] = c.Vocab,
                ["max_positions"] = c.MaxPositions,
                ["tied_embeddings"] = c.TieWordEmbeddings,
                ["params"] = parameters,
                ["dtype"] = dtype,
            };
            if (c.Labels > 0) info["labels"] = c.Labels;  // an image classifier's head outputs (it has no vocabulary)
            if (c.Moe is { } moe)
            {
                long sparse = Enumerable.Range(0, c.Layers).LongCount(moe.IsSparse);
                info["experts"] = moe.Experts;
                info["top_k"] = moe.TopK;
                info["expert_ffn"] = moe.ExpertFfn;
                info["sparse_layers"] = sparse;
                // What one token computes with: every parameter but the experts it is not routed to (3 projections each).
                info["active_params"] = parameters - sparse * (moe.Experts - moe.TopK) * 3L * c.Hidden * moe.ExpertFfn;
            }
            Output.KeyValues(io, r.GetValue(json), info);
            return 0;
        }));
        return command;
    }
}
