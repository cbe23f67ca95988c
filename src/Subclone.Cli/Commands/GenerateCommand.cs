using Subclone.Inference;

namespace Subclone.Cli.Commands;

/// <summary>subclone generate MODEL (--prompt TEXT | --prompt-ids 1,2,3): continue a prompt with a decoder model.</summary>
public static class GenerateCommand
{
    public static Command Create(CliIo io)
    {
        var model = new Argument<string>("MODEL") { Description = "A decoder model: Hugging Face directory, Hub id (org/name[@revision]) or llama2.c .bin" };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (tokenised with the model's tokenizer)" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt token ids, comma-separated" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 64 };
        var greedy = new Option<bool>("--greedy") { Description = "Always take the most likely token (temperature 0)" };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 1.0, Description = "Sampling temperature" };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0: all)" };
        var seed = new Option<long>("--seed") { Description = "Random seed for sampling" };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\":[...],\"text\":...}" };
        var maxContext = new Option<int?>("--max-context")
        {
            Description = "Read at most the last N tokens before each prediction: rotary models evict the oldest cached keys "
                + "(and may then run past their positions), GPT-2 re-reads its last N/2 tokens when its positions run out",
        };
        var noCache = new Option<bool>("--no-cache") { Description = "Recompute the whole context for every token instead of using the KV cache (slow; for comparison)" };
        var command = new Command("generate", "Generate text with a decoder model")
        {
            model, prompt, promptIds, maxNew, greedy, temperature, topK, seed, json, maxContext, noCache,
        };
        command.SetAction(r => io.Guard(() =>
        {
            var source = io.LoadModel(r, r.GetValue(model)!, r.GetValue(json));
            var tokenizer = source.Tokenizer;
            List<int> ids;
            if (r.GetValue(promptIds) is string idText)
                ids = idText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => int.TryParse(s, out int v) && v >= 0 && v < source.Model.Config.Vocab ? v : throw new UserInputException($"--prompt-ids: '{s}' is not a token id below the vocabulary size {source.Model.Config.Vocab}"))
                    .ToList();
            else if (r.GetValue(prompt) is string text)
            {
                if (tokenizer is null) throw new UserInputException($"{r.GetValue(model)} has no tokenizer files; pass --prompt-ids");
                ids = [.. tokenizer.Encode(text)];
                if (source.PrependBos && tokenizer.BosId is int bos) ids.Insert(0, bos);
            }
            else throw new UserInputException("give --prompt or --prompt-ids");
            if (r.GetValue(maxNew) < 0) throw new UserInputException("--max-new-tokens must not be negative");

            var sampling = new SamplingOptions(r.GetValue(greedy), r.GetValue(temperature), r.GetValue(topK), r.GetValue(seed));
            var options = new GenerationOptions(UseCache: !r.GetValue(noCache), MaxContext: r.GetValue(maxContext));
            var output = TextGenerator.Generate(source.Model, ids, r.GetValue(maxNew), sampling, tokenizer?.EosId, options);
            string? decoded = tokenizer?.Decode(output);
            if (r.GetValue(json))
                io.WriteJson(new JsonObject { ["ids"] = new JsonArray(output.Select(i => (JsonNode)i).ToArray()), ["text"] = decoded });
            else
                io.Out.WriteLine(decoded ?? string.Join(",", output));
            return 0;
        }));
        return command;
    }
}
