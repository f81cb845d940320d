// Starts an embedded Neo4j Community database with the Bolt connector on a
// loopback port, for the test suite on machines without a Docker engine.
//
// Usage: java -cp CLASSPATH Launcher.java DATA_DIR PORT
// Prints "READY <port>" once Bolt accepts connections; shuts down cleanly when
// its standard input closes (so the parent process owns its lifetime).

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public class Launcher {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Launcher DATA_DIR PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
            .setConfig(HttpConnector.enabled, false)
            .setConfig(HttpsConnector.enabled, false)
            .setConfig(GraphDatabaseSettings.auth_enabled, false)
            .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.gibiBytes(2))
            .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
            .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
        // Touch the default database so it is online before we say so.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("READY " + port);
        System.out.flush();
        InputStream in = System.in;
        while (in.read() != -1) {
            // wait for the parent to close our standard input
        }
        dbms.shutdown();
    }
}
