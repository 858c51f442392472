import { promises as fs } from "node:fs";
import { currentExecution } from "../../tracking/current-execution";
import { TrackExecution } from "../../tracking/TrackExecution";

/** Serializes a value and writes it to a file, recording the output size. */
export class JsonWriterSkill {
  @TrackExecution({ skillId: "json_writer", tags: ["io", "demo"] })
  async writeJson(file: string, value: unknown): Promise<number> {
    const text = JSON.stringify(value, null, 2);
    await fs.writeFile(file, text);
    const bytes = Buffer.byteLength(text);
    currentExecution()?.recordOutputSize(bytes);
    return bytes;
  }
}
